export { createDatabase, ensureDatabase, maintenanceUrl, openSession, withStatementSpan } from './database.js';
export type { Database, DatabaseOptions } from './database.js';
export { LIB_MIGRATIONS_FOLDER, MIGRATION_LOCK_KEY, runMigrations } from './migrate.js';
export {
  FAILURE_STATUSES,
  outbox,
  processedEvents,
  processingFailures,
  projectionRebuilds,
  REBUILD_STATES,
} from './schema.js';
export type { FailureAttempt, FailureStatus, RebuildState } from './schema.js';
export type { DbExecutor } from './executor.js';
export {
  OUTBOX_CHANNEL,
  enqueueEvents,
  markOutbox,
  outboxBacklog,
  pruneOutbox,
  changeWithEvents,
  changeManyWithEvents,
  toOutboxValues,
} from './outbox.js';
export { OUTBOX_LOCK_KEY, leaveOutboxLead, pendingOutbox } from './outbox-lead.js';
export { notifyRelays, onOutboxCommitted } from './outbox-signal.js';
export type { KeyedEvents, OutboxRow, PublishResult } from './outbox.js';
export type { PendingOutbox } from './outbox-lead.js';
export { markProcessed, markProcessedMany, markProcessedStatement, pruneProcessedEvents } from './processed.js';
export { jsonElements, textArray, uuidArray, withoutLoneSurrogates } from './json-param.js';
export { groupCommit } from './group-commit.js';
export type { GroupCommitOptions } from './group-commit.js';
export {
  checkpointRebuild,
  claimRebuild,
  finishRebuild,
  insertRebuild,
  latestRebuild,
  planRebuild,
  resetProjection,
} from './projection-rebuilds.js';
export type { RebuildRecord } from './projection-rebuilds.js';
export { countFailures, listFailures, pgFailureStore } from './failures.js';
export type { Failure, FailureFilter, FailureRecord, FailureStore } from './failures.js';
export {
  countFailuresBy,
  failureIds,
  getFailure,
  insertRetryFailure,
  pruneResolvedFailures,
  queryFailures,
  setFailureStatus,
} from './failure-admin.js';
export type { FailureDetail, FailureQuery } from './failure-admin.js';
export { migrateDatabase } from './migrate-command.js';
export type { MigrateDatabaseOptions } from './migrate-command.js';
export { decodeKeysetCursor, encodeKeysetCursor } from './cursor.js';
export type { KeysetCursor } from './cursor.js';
