import type { SubjectSpace } from '@chom/contracts';
import type { DbExecutor } from '@chom/db';
import { currentContext, type Logger } from '@chom/telemetry';
import type { BackupStorage } from './storage/storage.js';

/** What the endpoints and handlers need; built once in main, or by a test. */
export interface BackupDeps {
  /** `database.db`; transactions via `db.transaction`. */
  db: DbExecutor;
  space: Pick<SubjectSpace, 'events'>;
  storage: BackupStorage;
  /** Below this many free bytes a backup fails with 'Insufficient disk space'. */
  minFreeBytes: number;
  /** Completed backups kept per site; older archives are removed. */
  retentionCount: number;
  logger: Logger;
  now: () => Date;
}

export const SOURCE = 'backup';

export const SITE_DELETED = 'Site deleted';
export const INSUFFICIENT_DISK_SPACE = 'Insufficient disk space';

/** Trace context of the current request or event, carried by the outbox row to the broker. */
export function traceHeaders(): Record<string, string> {
  const { traceparent } = currentContext();
  return traceparent ? { traceparent } : {};
}
