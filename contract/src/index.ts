// Named re-exports, not `export *`: ES modules (the CLI, the ops scripts) import this CommonJS
// package, and Node can only see names that are listed.
export {
  UPLOAD_METADATA,
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
  type MeDto,
  type MoveRequest,
  type UnfinishedUpload,
  type UploadInProgressError,
} from './api';
export { ApiClient, type ApiClientOptions } from './client';
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
  InvalidNameError,
  InvalidPathError,
  isWithin,
  joinPath,
  MAX_NAME_BYTES,
  normalizePath,
  normalizeTypedPath,
  parentOf,
  parsePath,
  validateName,
} from './paths';
export { MEDIA_QUEUE, PING_JOB, SYSTEM_QUEUE, type DependencyState, type HwaccelReport, type PingJob, type WorkerReport } from './queues';
export { API_ROUTES, hlsMaster, UPLOADS_PATH, withQuery } from './routes';
export { entrySubject, fileIdOf, fileSubject, folderSubject, parseSubject, subjectId, type SubjectKind } from './subjects';
