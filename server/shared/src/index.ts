// Named re-exports, not `export *`: ES modules (the CLI, the ops scripts) import this CommonJS
// package, and Node can only see names that are listed.
export {
  UPLOAD_METADATA,
  UPLOAD_SHA256_HEADER,
  UPLOADS_PATH,
  SEARCH_LIMIT,
  type ApiErrorBody,
  type CreateFolderRequest,
  type DeployRecord,
  type EntryDto,
  type EntryKind,
  type FileStatus,
  type FolderListing,
  type MediaAttemptDto,
  type MediaDetails,
  type MediaJobDto,
  type MediaState,
  type MediaSummary,
  type SearchResults,
  type VersionDto,
  type MeDto,
  type MoveRequest,
  type UnfinishedUpload,
  type UploadInProgressError,
} from './api';
export { CONFIG_VARIABLES, ConfigError, loadConfig, redactUrl, type Config, type StorageConfig } from './config';
export { EVENT_TYPES, type EventType, type NebulaEvent } from './events';
export type { HealthCheck, HealthReport } from './health';
export {
  ACCEL_PATHS,
  TRANSCODE_JOB,
  type AccelPath,
  type MediaStatus,
  type TranscodeJob,
  type TranscodeProgress,
} from './media';
export { MEDIA_QUEUE, PING_JOB, SYSTEM_QUEUE, type DependencyState, type HwaccelReport, type PingJob, type WorkerReport } from './queues';
export {
  hardwareFits,
  isHeavyJob,
  joinRefusal,
  MAX_CLOCK_SKEW_MS,
  MEDIA_HW_QUEUE,
  NEBULA_VERSION,
  NODE_HEARTBEAT_MS,
  NODE_TTL_MS,
  nodeKeys,
  placeMediaJob,
  readNodes,
  type NodeRegistryReader,
  type HardwareEncoder,
  type NodeAdvert,
  type NodeCapabilities,
  type PlacementProbe,
} from './nodes';
export { redisOptionsFromUrl, type RedisConnectionOptions } from './redis-url';
export { SAMPLE_BLOCK, SAMPLE_BLOCKS, sampleDigest, sampleHash, sampleRanges } from './sample-hash';
export { storageKeys } from './storage-keys';
export { traceIdFrom } from './trace';
