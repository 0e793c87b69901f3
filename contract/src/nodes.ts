/**
 * Worker nodes: what each worker advertises in Redis (the node registry), and the pure rules that
 * use it (placement of heavy jobs, refusal of a node whose version or clock differs).
 */

/** The version every part of one release carries; a worker node of another version is refused. */
export const NEBULA_VERSION = '0.1.0';

/** Heavy media jobs, moved here so a hardware node takes them (see placeMediaJob). */
export const MEDIA_HW_QUEUE = 'media-hw';

/** Redis keys of the registry. A node's key expires unless its heartbeat renews it. */
export const nodeKeys = {
  prefix: 'nebula:node:',
  node: (id: string) => `nebula:node:${id}`,
  /** Written by the gateway at start: the version nodes must match. */
  gateway: 'nebula:gateway',
} as const;

/** How often a node renews its advert, and how long the advert outlives a silent node. */
export const NODE_HEARTBEAT_MS = 5000;
export const NODE_TTL_MS = 3 * NODE_HEARTBEAT_MS;
/** Beyond this difference between a node's clock and Redis's, heartbeats and locks cannot be trusted. */
export const MAX_CLOCK_SKEW_MS = 10_000;

/** The codec every rung of the ladder is encoded in: all a node needs to encode, whatever the source's codec. */
export const LADDER_CODEC = 'h264';

export interface HardwareEncoder {
  kind: 'vaapi' | 'qsv';
  /** Encoders this device runs, as ffmpeg names the codec (h264, hevc, av1, vp9). */
  codecs: string[];
  /** The largest picture the device's H.264 encoder takes (the ladder's codec). */
  maxWidth: number;
  maxHeight: number;
  /**
   * Where the codecs and the size come from: the device itself (`vainfo --all` at the worker's
   * start), or `assumed` (H.264 up to 4096x4096) when vainfo is missing, fails, or leaves one out.
   */
  limitsFrom: 'vainfo' | 'assumed';
  /**
   * Test double: NEBULA_TEST_ADVERTISE_HWACCEL makes a node advertise hardware it does not have
   * (it still encodes in software). Shown, so nobody mistakes it for a GPU.
   */
  simulated?: boolean;
}

export interface NodeCapabilities {
  software: true;
  hardware: HardwareEncoder | null;
  cores: number;
}

/** One worker node, as it advertises itself (JSON under nodeKeys.node(id), renewed every heartbeat). */
export interface NodeAdvert {
  id: string;
  /** NEBULA_NODE_NAME, or the host name. */
  name: string;
  version: string;
  capabilities: NodeCapabilities;
  /** The jobs it runs now (BullMQ job ids), with the file each is for. */
  jobs: { jobId: string; fileId: string; queue: string }[];
  startedAt: string;
  lastHeartbeat: string;
}

/** What placement needs to know about a video (from ffprobe). */
export interface PlacementProbe {
  width: number;
  height: number;
  codec: string;
  bitDepth: number;
}

/** A job is heavy when software encoding of it is slow: 4K and larger, or 10-bit HEVC. */
export function isHeavyJob(video: PlacementProbe): boolean {
  const pixels = Math.max(video.width, video.height) * Math.min(video.width, video.height);
  return pixels >= 3840 * 2160 * 0.9 || (video.codec === 'hevc' && video.bitDepth >= 10);
}

/**
 * Whether a hardware node could take this video: its device encodes the ladder's codec (a 10-bit
 * HEVC source is decoded there, but only H.264 is encoded), and the video is within its size.
 */
export function hardwareFits(hw: HardwareEncoder, video: PlacementProbe): boolean {
  if (!hw.codecs.includes(LADDER_CODEC)) return false;
  const long = Math.max(video.width, video.height);
  const short = Math.min(video.width, video.height);
  return long <= Math.max(hw.maxWidth, hw.maxHeight) && short <= Math.min(hw.maxWidth, hw.maxHeight);
}

/**
 * Where a job runs, decided by the node that probed it: `here`, or `hardware` (moved to
 * MEDIA_HW_QUEUE, which hardware nodes consume first). Only a heavy job on a software node moves,
 * and only while some hardware node that fits it is up; otherwise software anywhere does it.
 */
export function placeMediaJob(video: PlacementProbe | undefined, self: NodeCapabilities, others: NodeAdvert[]): 'here' | 'hardware' {
  if (!video || self.hardware || !isHeavyJob(video)) return 'here';
  return others.some((n) => n.capabilities.hardware && hardwareFits(n.capabilities.hardware, video)) ? 'hardware' : 'here';
}

/** Why a node may not join (version or clock), as one line for its log; null when it may. */
export function joinRefusal(node: { version: string; nowMs: number }, server: { version: string | null; nowMs: number }): string | null {
  if (server.version && server.version !== node.version) {
    return `this worker is version ${node.version} but the server runs ${server.version}: install the same release on this machine (git pull, npm ci) and start it again`;
  }
  const skew = node.nowMs - server.nowMs;
  if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
    return `this machine's clock is ${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? 'ahead of' : 'behind'} the server's (more than ${MAX_CLOCK_SKEW_MS / 1000} s): job locks and heartbeats need the same time; turn on NTP (timedatectl set-ntp true) and start it again`;
  }
  return null;
}

/** The two Redis commands readNodes needs (ioredis's Redis has them). */
export interface NodeRegistryReader {
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  mget(...keys: string[]): Promise<(string | null)[]>;
}

/** Every advert in the registry (a silent node's key has expired by itself), by name. */
export async function readNodes(redis: NodeRegistryReader): Promise<NodeAdvert[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${nodeKeys.prefix}*`, 'COUNT', 100);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => (v ? [JSON.parse(v) as NodeAdvert] : [])).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/**
 * Join tokens (`nebula node token`): a worker node on another machine presents one to the gateway
 * (`Authorization: Bearer <token>`, never in a URL) to learn where the queue, the database and the
 * object store are, and, when the server keeps objects on its own disk, on every request to the
 * gateway's node storage endpoints. The gateway keeps only a hash: a token is shown once.
 */
export interface NodeTokenDto {
  /** Short, for `nebula node token --revoke <id>`; not a secret. */
  id: string;
  /** What the person who made it called it (e.g. the machine it is for). */
  name: string | null;
  createdAt: string;
  /** The tailnet user who made it, when known. */
  createdBy: string | null;
  /** The last time a node joined with it, and that node's name. */
  lastUsedAt: string | null;
  lastUsedBy: string | null;
}

/** The answer to POST /api/nodes/tokens: the token itself, this once. */
export interface NewNodeTokenDto extends NodeTokenDto {
  token: string;
}

export interface CreateNodeTokenRequest {
  name?: string;
}

export interface NodeJoinRequest {
  /** The node's name (NEBULA_NODE_NAME or its host name), recorded as the token's last user. */
  name?: string;
}

/**
 * How a joined node reaches the object store: the S3 service itself (its endpoint as the node sees
 * it, and the keys), or, when the server keeps objects on its own disk, only through the gateway's
 * node storage endpoints (NODE_STORAGE_PATH), with the join token.
 */
export type NodeStorageSettings =
  | { driver: 's3'; endpoint: string; region: string; bucket: string; accessKey: string; secretKey: string }
  | { driver: 'gateway' };

/** The answer to POST /api/nodes/join: everything a node needs beyond the server's address and its token. */
export interface NodeJoinDto {
  version: string;
  redisUrl: string;
  databaseUrl: string;
  storage: NodeStorageSettings;
}

/** Where a joined node reads and writes objects when the server uses the fs driver. */
export const NODE_STORAGE_PATH = '/api/nodes/storage';

/** An object under NODE_STORAGE_PATH: each part of the key encoded, the slashes kept. */
export const nodeStorageObjectPath = (key: string) => `${NODE_STORAGE_PATH}/${key.split('/').map(encodeURIComponent).join('/')}`;

/**
 * What a node may do with which keys through the gateway (what worker/src/media needs): read
 * originals; read, write, list and delete renditions (hls/<file>/: playlists, segments, the
 * storyboard) and posters. Lists and deletes by prefix stay inside one file's renditions
 * (hls/<file>/...), never an original is written or deleted, and nothing else in the store
 * (unfinished uploads, their records) is reachable.
 */
export const NODE_READ_PREFIXES = ['originals/'] as const;
export const NODE_WRITE_PREFIXES = ['hls/', 'posters/'] as const;

export function nodeMay(operation: 'read' | 'write' | 'list', keyOrPrefix: string): boolean {
  if (operation === 'list') return /^hls\/[^/]+\//.test(keyOrPrefix);
  const prefixes: readonly string[] = operation === 'read' ? [...NODE_READ_PREFIXES, ...NODE_WRITE_PREFIXES] : NODE_WRITE_PREFIXES;
  return prefixes.some((p) => keyOrPrefix.startsWith(p) && keyOrPrefix.length > p.length);
}
