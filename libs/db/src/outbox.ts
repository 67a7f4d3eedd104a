import { sql as drizzleSql, type SQL } from 'drizzle-orm';
import type postgres from 'postgres';
import { eventSubject, type AnyEvent, type SubjectSpace } from '@chom/contracts';
import { traceHeaders } from '@chom/telemetry';
import type { DbExecutor } from './executor.js';
import { withStatementSpan } from './database.js';
import { deferOutboxSignal, OUTBOX_CHANNEL, signalOutbox } from './outbox-signal.js';
import type { outbox } from './schema.js';

export { OUTBOX_CHANNEL } from './outbox-signal.js';

/** A pending outbox row as the relay sees it; `id` is the bigint identity as a decimal string. */
export interface OutboxRow {
  id: string;
  eventId: string;
  subject: string;
  event: unknown;
  headers: Record<string, string>;
  attempts: number;
  /** When the row was written (its transaction's time): the start of the dispatch duration. */
  createdAt?: Date;
}

export interface PublishResult {
  sent: OutboxRow['id'][];
  failed: { id: OutboxRow['id']; error: string }[];
}

/** The rows `enqueueEvents` inserts, one per event, in the order given. */
export function toOutboxValues(
  space: Pick<SubjectSpace, 'events'>,
  events: readonly AnyEvent[],
  headers: Record<string, string> = {},
): (typeof outbox.$inferInsert)[] {
  return events.map((event) => ({
    eventId: event.id,
    subject: eventSubject(space, event.tenantId, event.type),
    event: event as unknown as Record<string, unknown>,
    headers,
  }));
}

/**
 * Writes events to the outbox within the caller's transaction and notifies the relay; the
 * notification is delivered only if and when that transaction commits. Pass the drizzle
 * `tx` (see {@link DbExecutor}); rows are published in the order given. `headers` default to
 * the current trace context, so the relay's publish continues the caller's trace.
 */
export async function enqueueEvents(
  tx: DbExecutor,
  space: Pick<SubjectSpace, 'events'>,
  events: readonly AnyEvent[],
  headers: Record<string, string> = traceHeaders(),
): Promise<void> {
  if (events.length === 0) return;
  const insert = drizzleSql`insert into outbox (event_id, subject, event, headers)
    select v.event_id, v.subject, v.event, v.headers from ${outboxRecords(space, events, headers)}`;
  // A transaction of `createDatabase`'s pool signals the relays after its commit.
  if (deferOutboxSignal(tx)) return void (await tx.execute(insert));
  // One round trip: the insert runs as a data-modifying CTE of the notifying statement.
  await tx.execute(drizzleSql`with inserted as (${insert}) select pg_notify(${OUTBOX_CHANNEL}, '')`);
}

/**
 * The events as outbox records, in order, from one JSON parameter: the statement text is the
 * same for any number of events (one prepared statement) and nothing is built per row.
 */
function outboxRecords(
  space: Pick<SubjectSpace, 'events'>,
  events: readonly AnyEvent[],
  headers: Record<string, string>,
): SQL {
  const rows = JSON.stringify(
    toOutboxValues(space, events, headers).map((v) => ({
      event_id: v.eventId,
      subject: v.subject,
      event: v.event,
      headers: v.headers,
    })),
  );
  return drizzleSql`json_to_recordset(${rows}::json) as v(event_id uuid, subject text, event jsonb, headers jsonb)`;
}

/**
 * Runs one data-modifying statement and writes its events to the outbox in the same statement
 * (a data-modifying CTE): atomic without a transaction, in one round trip. `change` must end
 * in `RETURNING`; the events are written only when it returned a row. The relays are woken
 * after it, or after the commit of the transaction `db` belongs to. Returns the number of rows
 * `change` returned.
 */
export async function changeWithEvents(
  db: DbExecutor,
  space: Pick<SubjectSpace, 'events'>,
  change: SQL,
  events: readonly AnyEvent[],
  headers?: Record<string, string>,
): Promise<number> {
  // The rows carry the statement's span (when traced), so the relay's publish continues from it.
  const changed = await withStatementSpan(db, 'INSERT', async () => {
    const [result] = await db.execute<{ changed: number }>(drizzleSql`
      with changed as (${change}),
      queued as (
        insert into outbox (event_id, subject, event, headers)
        select v.event_id, v.subject, v.event, v.headers
        from ${outboxRecords(space, events, headers ?? traceHeaders())}
        where exists (select 1 from changed)
      )
      select count(*)::int as changed from changed`);
    return result?.changed ?? 0;
  });
  if (changed > 0 && events.length > 0) wakeRelays(db);
  return changed;
}

/** One change of a {@link changeManyWithEvents} batch: its key, its events and their trace headers. */
export interface KeyedEvents {
  key: string;
  events: readonly AnyEvent[];
  headers: Record<string, string>;
}

/**
 * The batch form of {@link changeWithEvents}: one statement changes the rows of many keys and
 * writes the events of each key whose change returned a row, in the order given. `change`
 * must end in `RETURNING <key> AS key`. Returns the keys changed, so a caller can tell each
 * item of a batch (see `groupCommit`) whether its change happened.
 */
export async function changeManyWithEvents(
  db: DbExecutor,
  space: Pick<SubjectSpace, 'events'>,
  change: SQL,
  items: readonly KeyedEvents[],
): Promise<Set<string>> {
  const rows = JSON.stringify(
    items.flatMap((item) =>
      toOutboxValues(space, item.events, item.headers).map((v) => ({
        key: item.key,
        event_id: v.eventId,
        subject: v.subject,
        event: v.event,
        headers: v.headers,
      })),
    ),
  );
  const changed = await db.execute<{ key: string }>(drizzleSql`
    with changed as (${change}),
    queued as (
      insert into outbox (event_id, subject, event, headers)
      select v.event_id, v.subject, v.event, v.headers
      from rows from (json_to_recordset(${rows}::json)
        as (key text, event_id uuid, subject text, event jsonb, headers jsonb)) with ordinality
        as v(key, event_id, subject, event, headers, n)
      where v.key in (select key::text from changed)
      order by v.n
    )
    select key::text as key from changed`);
  const keys = new Set(changed.map((row) => row.key));
  if (keys.size > 0 && items.some((item) => item.events.length > 0)) wakeRelays(db);
  return keys;
}

/** Wakes the relays after a statement outside a transaction wrote outbox rows (a transaction's commit does it itself). */
function wakeRelays(db: DbExecutor): void {
  if (deferOutboxSignal(db)) return;
  const pool = (db as { $client?: postgres.Sql }).$client;
  if (pool) signalOutbox(pool);
}

/** A claimed row as Postgres returns it; `id` null only in the "lock held elsewhere" row. */
export interface ClaimedRow {
  id: string | null;
  event_id: string;
  subject: string;
  event: unknown;
  headers: Record<string, string>;
  attempts: number;
  created_at: Date | string;
}

export function toOutboxRow(r: ClaimedRow): OutboxRow {
  return {
    id: r.id as string,
    eventId: r.event_id,
    subject: r.subject,
    event: r.event,
    headers: r.headers,
    attempts: r.attempts,
    createdAt: new Date(r.created_at),
  };
}

/** Marks the `sent` rows and bumps `attempts`/`last_error` on the `failed` ones. */
export async function markOutbox(tx: postgres.Sql, result: PublishResult): Promise<void> {
  if (result.sent.length > 0) {
    await tx`update outbox set sent_at = now() where id = any(${result.sent.map(String)}::bigint[])`;
  }
  if (result.failed.length > 0) {
    await tx`
      update outbox o set attempts = o.attempts + 1, last_error = f.error
      from unnest(${result.failed.map((f) => String(f.id))}::bigint[], ${result.failed.map((f) => f.error)}::text[])
        as f(id, error)
      where o.id = f.id`;
  }
}

/** Deletes rows sent more than `olderThanMs` ago; pending rows are never pruned. Returns the count. */
export async function pruneOutbox(sql: postgres.Sql, olderThanMs: number): Promise<number> {
  const deleted = await sql`
    delete from outbox
    where sent_at is not null and sent_at < now() - make_interval(secs => ${olderThanMs / 1000})`;
  return deleted.count;
}

/** Pending rows and the age of the oldest one (0 when none), for the backlog gauge. */
export async function outboxBacklog(sql: postgres.Sql): Promise<{ pending: number; oldestAgeSeconds: number }> {
  const [row] = await sql<{ pending: number; oldest_age_seconds: number }[]>`
    select count(*)::int as pending,
      coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest_age_seconds
    from outbox where sent_at is null`;
  return { pending: row?.pending ?? 0, oldestAgeSeconds: row?.oldest_age_seconds ?? 0 };
}
