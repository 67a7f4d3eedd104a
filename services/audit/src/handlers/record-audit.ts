import type { AnyEvent } from '@chom/contracts';
import { PermanentError } from '@chom/messaging';
import type { Logger } from '@chom/telemetry';
import { toAuditEntry } from '../audit-entry.js';
import { isRowRejected, sqlState } from '../db/errors.js';
import type { AuditWriter, InsertEntries } from '../db/audit-writer.js';

export interface RecordAuditDeps {
  writer: AuditWriter;
  logger: Logger;
}

/**
 * Appends the event to the audit log; a redelivered event finds its row there and adds none.
 * A row Postgres refuses is dead-lettered at once rather than retried: retries cannot fix it,
 * and they would hold back the rest of its aggregate's events for the whole backoff.
 */
export async function recordAudit(event: AnyEvent, deps: RecordAuditDeps): Promise<void> {
  let inserted: boolean;
  try {
    inserted = await deps.writer.write(toAuditEntry(event));
  } catch (error) {
    if (!isRowRejected(error)) throw error;
    const message = `the database refused the audit entry (SQLSTATE ${sqlState(error)})`;
    throw new PermanentError('AUDIT_ENTRY_REJECTED', message, { cause: error });
  }
  if (!inserted) deps.logger.debug({ eventId: event.id }, 'event already in the audit log');
}

/**
 * Appends a batch of events (different aggregates) in one statement. A batch the database
 * refuses is thrown back: the runner then handles its events one at a time through
 * `recordAudit`, which dead-letters only the refused one.
 */
export async function recordAuditBatch(
  events: readonly AnyEvent[],
  deps: { insert: InsertEntries; logger: Logger },
): Promise<void> {
  const inserted = await deps.insert(events.map(toAuditEntry));
  const skipped = events.length - new Set(inserted).size;
  if (skipped > 0) deps.logger.debug({ skipped }, 'events already in the audit log');
}
