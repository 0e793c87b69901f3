/**
 * The API's paths, relative to the gateway's origin. The clients build every URL through these;
 * the gateway's controllers serve them.
 */
const id = (value: string) => encodeURIComponent(value);

export const API_ROUTES = {
  health: '/api/health',
  /** GET: the gateway's version and the deployed commit. */
  version: '/api/version',
  me: '/api/me',
  /** GET ?q=&limit=&offset=: names holding q in every folder, best first. */
  search: '/api/search',
  /** GET ?path= lists a folder. */
  files: '/api/files',
  /** GET ?path= finds one entry. */
  lookup: '/api/files/lookup',
  /** GET, PATCH (MoveRequest), DELETE (?recursive=true). */
  entry: (fileId: string) => `/api/files/${id(fileId)}`,
  media: (fileId: string) => `/api/files/${id(fileId)}/media`,
  /** The original, with Range support. */
  content: (fileId: string) => `/api/files/${id(fileId)}/content`,
  poster: (fileId: string) => `/api/files/${id(fileId)}/poster.jpg`,
  /** POST CreateFolderRequest. */
  folders: '/api/folders',
  /** tus 1.0 resumable uploads; each upload lives at /api/uploads/<id>. */
  uploads: '/api/uploads',
  mediaJobs: '/api/media/jobs',
  events: '/api/events',
  eventStream: '/api/events/stream',
  replay: (eventId: string) => `/api/events/${id(eventId)}/replay`,
  deploys: '/api/deploys',
  deployLog: (deployId: string) => `/api/deploys/${id(deployId)}/log`,
  /** GET lists the join tokens, POST CreateNodeTokenRequest makes one (README "Adding a machine"). */
  nodeTokens: '/api/nodes/tokens',
  /** DELETE revokes a join token. */
  nodeToken: (tokenId: string) => `/api/nodes/tokens/${id(tokenId)}`,
  /** POST NodeJoinRequest with the join token as a bearer: a node's settings (NodeJoinDto). */
  nodeJoin: '/api/nodes/join',
  /** GET with a join token: 204 when the gateway's object store works (a joined node's start-up check). */
  nodeStorageCheck: '/api/nodes/storage-check',
} as const;

/** HLS is served outside /api: players fetch the master playlist, then its playlists and segments. */
export const hlsMaster = (fileId: string) => `/hls/${id(fileId)}/master.m3u8`;

/** `path?query`, leaving out parameters that are undefined. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** tus' creation endpoint (API_ROUTES.uploads), by the name the upload code knows it. */
export const UPLOADS_PATH = API_ROUTES.uploads;
