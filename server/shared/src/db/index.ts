/**
 * The one home of the SQL for the tables the gateway and the worker both write: `events`,
 * `media_attempts` and the media columns of `entries`. Plain functions over a connection (TypeORM's
 * DataSource, or an EntityManager inside a transaction), so a column change is made here once.
 */
export { json, type Database, type Sql } from './sql';
export { appendEvent, findEvent, isEventId, listEvents, MAX_EVENT_ID, type NewEvent } from './events.sql';
export {
  mediaFile,
  mediaFileExists,
  recordMediaState,
  saveProbe,
  setMediaState,
  waitingVideos,
  type MediaFile,
  type StateEvent,
  type StateGuard,
  type WaitingVideo,
} from './media-state.sql';
export { abandonRunningAttempts, attemptsOf, finishAttempt, startAttempt, type AttemptResult, type AttemptStep } from './media-attempts.sql';
