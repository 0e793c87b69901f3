import type { ApiErrorBody, DeployRecord, EntryDto, FolderListing, MediaDetails, MoveRequest, UnfinishedUpload } from '@nebula/contract';

/** An answer from the gateway that was not a success, with the server's own sentence. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The gateway's error body says what happened; fall back to the status line when there is none. */
export function errorFromBody(status: number, body: string, doing: string): ApiError {
  try {
    const parsed = JSON.parse(body) as Partial<ApiErrorBody>;
    if (typeof parsed.message === 'string') return new ApiError(status, parsed.code ?? `http_${status}`, parsed.message);
  } catch {
    // Not JSON: a proxy's page, or nothing.
  }
  return new ApiError(status, `http_${status}`, `${doing} failed: the server answered ${status}`);
}

export const UNREACHABLE = 'Nebula is not answering. Check that the server is running and that this device is on your tailnet, then try again.';

async function request<T>(method: string, url: string, doing: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'unreachable', UNREACHABLE);
  }
  if (!res.ok) throw errorFromBody(res.status, await res.text(), doing);
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch {
    throw new ApiError(res.status, 'bad_response', `${doing} failed: the answer was not Nebula's (is a proxy or a login page in between?)`);
  }
}

export const api = {
  list: (path: string) => request<FolderListing>('GET', `/api/files?${new URLSearchParams({ path })}`, `Opening ${path}`),
  lookup: (path: string) => request<EntryDto>('GET', `/api/files/lookup?${new URLSearchParams({ path })}`, `Looking up ${path}`),
  entry: (id: string) => request<EntryDto>('GET', `/api/files/${encodeURIComponent(id)}`, 'Loading the file'),
  media: (id: string) => request<MediaDetails>('GET', `/api/files/${encodeURIComponent(id)}/media`, 'Loading the media state'),
  createFolder: (path: string) => request<EntryDto>('POST', '/api/folders', `Creating ${path}`, { path }),
  move: (id: string, change: MoveRequest) => request<EntryDto>('PATCH', `/api/files/${encodeURIComponent(id)}`, 'The move', change),
  remove: (id: string, recursive: boolean) => request<void>('DELETE', `/api/files/${encodeURIComponent(id)}${recursive ? '?recursive=true' : ''}`, 'Deleting'),
  /**
   * Gives up an unfinished upload (tus termination at its URL, /api/uploads/<id>). One already gone
   * is fine. The gateway frees the name just after it answers: this waits for that too (a few
   * seconds at most), so an upload of the same name right after does not hear 409.
   */
  discardUpload: async (entry: EntryDto & { upload: UnfinishedUpload }): Promise<void> => {
    let res: Response;
    try {
      res = await fetch(entry.upload.url, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0' } });
    } catch {
      throw new ApiError(0, 'unreachable', UNREACHABLE);
    }
    if (!res.ok && res.status !== 404 && res.status !== 410) throw errorFromBody(res.status, await res.text(), 'Discarding the upload');
    for (let wait = 50; wait <= 3200; wait *= 2) {
      const now = await fetch(`/api/files/${encodeURIComponent(entry.id)}`, { headers: { Accept: 'application/json' } }).catch(() => null);
      if (now?.status === 404) return;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  },
  deploys: () => request<DeployRecord[]>('GET', '/api/deploys?limit=50', 'Loading the deploys'),
  /** Who the tailnet says we are; null when the gateway does not know (or has no /api/me). Asked once per page load. */
  me: (): Promise<string | null> => (myself ??= askWhoIAm()),
};

let myself: Promise<string | null> | undefined;

const askWhoIAm = async (): Promise<string | null> => {
    const res = await fetch('/api/me', { headers: { Accept: 'application/json' } }).catch(() => null);
    if (!res?.ok) return null;
    const body = (await res.json().catch(() => null)) as { user?: unknown } | null;
    return typeof body?.user === 'string' ? body.user : null;
};

export const contentUrl = (id: string) => `/api/files/${encodeURIComponent(id)}/content`;
export const downloadUrl = (id: string) => `${contentUrl(id)}?download=1`;
export const posterUrl = (id: string) => `/api/files/${encodeURIComponent(id)}/poster.jpg`;
