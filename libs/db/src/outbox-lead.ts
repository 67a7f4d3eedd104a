import type postgres from 'postgres';
import { toOutboxRow, type ClaimedRow, type OutboxRow } from './outbox.js';

/**
 * The session advisory lock of the relay that publishes for a database: one at a time, so
 * rows reach the stream in id order even during a backlog.
 */
export const OUTBOX_LOCK_KEY = '7236041185100115';

export type PendingOutbox = { lead: true; rows: OutboxRow[] } | { lead: false };

/**
 * The oldest pending rows (up to `limit`), read on `conn` (a reserved connection) only while
 * that session leads, that is holds (or now takes) the relay lock; `{ lead: false }` when
 * another session holds it. No transaction and no row locks: the leader is the only
 * publisher, and a row published again after a crash is dropped by the stream as a
 * duplicate. Asking for the lock in every read makes a session that lost it without noticing
 * (a reconnection) find out at once, where it would otherwise publish beside the new leader.
 * Session locks count up: {@link leaveOutboxLead} lets go of every count.
 */
export async function pendingOutbox(conn: postgres.Sql, limit: number): Promise<PendingOutbox> {
  // `outbox.id` and the `seq` column: a bare `id` would be the text alias (`'10' < '9'`).
  const rows = await conn<(ClaimedRow & { seq: string | null })[]>`
    with lead as materialized (select pg_try_advisory_lock(${OUTBOX_LOCK_KEY}::bigint) as held),
    pending as (
      select outbox.id, event_id, subject, event, headers, attempts, created_at
      from outbox
      where sent_at is null and (select held from lead)
      order by outbox.id limit ${limit}
    )
    select id::text as id, event_id::text as event_id, subject, event, headers, attempts, created_at, id as seq
    from pending
    union all
    select null, null, null, null, null, null, null, null from lead where not held
    order by seq`;
  if (rows.length === 1 && rows[0]?.id === null) return { lead: false };
  return { lead: true, rows: rows.map(toOutboxRow) };
}

/** Lets go of the relay lock held by `conn`'s session, if it holds it. */
export async function leaveOutboxLead(conn: postgres.Sql): Promise<void> {
  await conn`select pg_advisory_unlock_all()`;
}
