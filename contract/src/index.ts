// Named re-exports, not `export *`: ES modules (the CLI, the ops scripts) import this CommonJS
// package, and Node can only see names that are listed.
export {
  SEARCH_LIMIT,
  UPLOAD_METADATA,
  UPLOAD_SHA256_HEADER,
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
  type MeDto,
  type MoveRequest,
  type UnfinishedUpload,
  type UploadInProgressError,
  type SearchResults,
  type VersionDto,
} from './api';
export { ApiClient, type ApiClientOptions, type ApiResponse } from './client';
export { ApiError, codeForStatus, ERROR_CODES, parseErrorBody, type ApiErrorBody, type ErrorCode } from './errors';
export { EVENT_TYPES, isEventType, type EventDataMap, type EventPayload, type EventType, type NebulaEvent } from './events';
export type { HealthCheck, HealthReport } from './health';
export {
  ACCEL_PATHS,
  TRANSCODE_JOB,
  type AccelPath,
  type MediaStatus,
  type TranscodeJob,
  type TranscodeProgress,
} from './media';
export {
  baseName,
  formatPath,
  compareNames,
  InvalidNameError,
  InvalidPathError,
  isWithin,
  joinPath,
  MAX_NAME_BYTES,
  normalizePath,
  normalizeTypedPath,
  parentOf,
  parsePath,
  showControls,
  validateName,
} from './paths';
export { MEDIA_QUEUE, PING_JOB, SYSTEM_QUEUE, type DependencyState, type HwaccelReport, type PingJob, type WorkerReport } from './queues';
export { API_ROUTES, hlsMaster, UPLOADS_PATH, withQuery } from './routes';
export { entrySubject, fileIdOf, fileSubject, folderSubject, parseSubject, subjectId, type SubjectKind } from './subjects';
export {
  hardwareFits,
  LADDER_CODEC,
  isHeavyJob,
  NODE_READ_PREFIXES,
  NODE_STORAGE_PATH,
  NODE_WRITE_PREFIXES,
  nodeMay,
  nodeStorageObjectPath,
  type CreateNodeTokenRequest,
  type NewNodeTokenDto,
  type NodeJoinDto,
  type NodeJoinRequest,
  type NodeStorageSettings,
  type NodeTokenDto,
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
