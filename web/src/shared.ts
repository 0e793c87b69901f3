/**
 * The API's types and constants from their one home, @nebula/shared. Imported by relative path
 * from the two files that hold them (both free of imports), not from the package's index: that
 * one also re-exports the Node-only config and runtime code, which has no place in a browser build.
 */
export { SEARCH_LIMIT, UPLOAD_METADATA, UPLOADS_PATH } from '../../server/shared/src/api';
export type { ApiErrorBody, DeployRecord, EntryDto, FolderListing, MediaDetails, MediaState, MoveRequest, SearchResults, UnfinishedUpload, VersionDto } from '../../server/shared/src/api';
export { EVENT_TYPES } from '../../server/shared/src/events';
export type { HealthReport } from '../../server/shared/src/health';
export type { EventType, NebulaEvent } from '../../server/shared/src/events';
