import { API_ROUTES, ApiClient, ApiError, type EntryDto, type HealthReport, type UnfinishedUpload } from '@nebula/contract';

/** The API's one error class (from the contract): the gateway's status, stable code and sentence. */
export { ApiError };

export const UNREACHABLE = 'Nebula is not answering. Check that the server is running and that this device is on your tailnet, then try again.';

/** The contract's API client on the browser's fetch, same origin. */
const client = new ApiClient({
  baseUrl: '',
  fetch: (url, init) => fetch(url, init),
  unreachable: () => new ApiError(0, 'unreachable', UNREACHABLE),
});

export const api = {
  list: (path: string) => client.listFolder(path),
  lookup: (path: string) => client.lookup(path),
  entry: (id: string) => client.entry(id),
  media: (id: string) => client.media(id),
  createFolder: (path: string) => client.createFolder(path),
  move: client.move.bind(client),
  remove: (id: string, recursive: boolean) => client.remove(id, recursive),
  /**
   * Gives up an unfinished upload (tus termination at its URL, /api/uploads/<id>). One already gone
   * is fine. The gateway frees the name just after it answers: this waits for that too (a few
   * seconds at most), so an upload of the same name right after does not hear 409.
   */
  discardUpload: async (entry: EntryDto & { upload: UnfinishedUpload }): Promise<void> => {
    await client.terminateUpload(entry.upload.url);
    for (let wait = 50; wait <= 3200; wait *= 2) {
      const gone = await client.entry(entry.id).then(
        () => false,
        (error: unknown) => error instanceof ApiError && error.status === 404,
      );
      if (gone) return;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  },
  deploys: () => client.deploys(50),
  search: (q: string, offset = 0) => client.search(q, { offset }),
  version: () => client.version(),
  /** GET /api/health answers 503 with the same report when a part is down: both are answers here. */
  health: async (): Promise<HealthReport> => {
    const { status, report } = await client.health();
    if (!report) throw new ApiError(status, 'bad_response', 'The health check failed: the answer was not Nebula\u2019s');
    return report;
  },
  /** Who the tailnet says we are; null when the gateway does not know (or has no /api/me). Asked once per page load. */
  me: (): Promise<string | null> => (myself ??= client.me().then((me) => (typeof me.user === 'string' ? me.user : null), () => null)),
};

let myself: Promise<string | null> | undefined;

export const contentUrl = (id: string) => API_ROUTES.content(id);
export const downloadUrl = (id: string) => `${contentUrl(id)}?download=1`;
export const posterUrl = (id: string) => API_ROUTES.poster(id);
