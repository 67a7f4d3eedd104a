import type postgres from 'postgres';
import type { FailureRecord } from './failures.js';
import { storableFailure } from './failures.js';
import type { FailureAttempt, FailureStatus } from './schema.js';

/** The operator's filter over `processing_failures`. */
export interface FailureQuery {
  consumer?: string | undefined;
  eventType?: string | undefined;
  tenantId?: string | undefined;
  status?: FailureStatus | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** A stored failure as the operator sees it. */
export interface FailureDetail {
  id: string;
  consumer: string;
  streamSequence: number;
  eventId: string | null;
  eventType: string | null;
  tenantId: string | null;
  payload: string;
  headers: Record<string, string>;
  errorCode: string;
  errorMessage: string;
  errorStack: string | null;
  attempts: FailureAttempt[];
  traceId: string | null;
  retryOf: string | null;
  status: FailureStatus;
  resolutionNote: string | null;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
}

type Sql = postgres.Sql | postgres.TransactionSql;

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function columns(sql: Sql) {
  return sql`id::text as id, consumer, stream_sequence::int8 as "streamSequence", event_id as "eventId",
    event_type as "eventType", tenant_id as "tenantId", payload, headers, error_code as "errorCode",
    error_message as "errorMessage", error_stack as "errorStack", attempts, trace_id as "traceId",
    retry_of::text as "retryOf", status, resolution_note as "resolutionNote",
    ${sql.unsafe(iso('created_at'))} as "createdAt", ${sql.unsafe(iso('updated_at'))} as "updatedAt",
    ${sql.unsafe(iso('resolved_at'))} as "resolvedAt"`;
}

function where(sql: Sql, q: FailureQuery) {
  return sql`where true
    ${q.consumer === undefined ? sql`` : sql`and consumer = ${q.consumer}`}
    ${q.eventType === undefined ? sql`` : sql`and event_type = ${q.eventType}`}
    ${q.tenantId === undefined ? sql`` : sql`and tenant_id = ${q.tenantId}`}
    ${q.status === undefined ? sql`` : sql`and status = ${q.status}`}
    ${q.from === undefined ? sql`` : sql`and created_at >= ${q.from}::timestamptz`}
    ${q.to === undefined ? sql`` : sql`and created_at <= ${q.to}::timestamptz`}`;
}

function toDetail(row: postgres.Row): FailureDetail {
  return { ...(row as FailureDetail), streamSequence: Number(row.streamSequence) };
}

/** Failures matching `q`, newest first, with the exact total. */
export async function queryFailures(
  sql: Sql,
  q: FailureQuery,
  page: { limit: number; offset: number },
): Promise<{ items: FailureDetail[]; total: number }> {
  const rows = await sql`select ${columns(sql)} from processing_failures ${where(sql, q)}
    order by created_at desc, processing_failures.id desc limit ${page.limit} offset ${page.offset}`;
  return { items: rows.map(toDetail), total: await countFailuresBy(sql, q) };
}

export async function countFailuresBy(sql: Sql, q: FailureQuery): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from processing_failures ${where(sql, q)}`;
  return row?.n ?? 0;
}

/** Ids of failures matching `q`, oldest first (the order a bulk retry replays them in). */
export async function failureIds(sql: Sql, q: FailureQuery, limit: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`select id::text as id from processing_failures ${where(sql, q)}
    order by created_at, processing_failures.id limit ${limit}`;
  return rows.map((r) => r.id);
}

/** One failure; `lock` takes its row lock for the rest of the transaction. */
export async function getFailure(sql: Sql, id: string, lock = false): Promise<FailureDetail | undefined> {
  const [row] = await sql`select ${columns(sql)} from processing_failures where id = ${id}::uuid
    ${lock ? sql`for update` : sql``}`;
  return row ? toDetail(row) : undefined;
}

/** Moves a failure to `status`; `resolved` stamps the time and keeps the note. */
export async function setFailureStatus(sql: Sql, id: string, status: FailureStatus, note?: string): Promise<void> {
  await sql`update processing_failures set status = ${status}, updated_at = now(),
    resolved_at = ${status === 'resolved' ? sql`now()` : sql`resolved_at`},
    resolution_note = ${note === undefined ? sql`resolution_note` : sql`${note}`}
    where id = ${id}::uuid`;
}

/** Records a retry's failure linked to the one it retried; returns the new row's id. */
export async function insertRetryFailure(sql: Sql, failure: FailureRecord & { retryOf: string }): Promise<string> {
  const f = storableFailure(failure);
  const [row] = await sql<{ id: string }[]>`
    insert into processing_failures (consumer, stream_sequence, event_id, event_type, tenant_id, payload,
      headers, error_code, error_message, error_stack, attempts, trace_id, retry_of)
    values (${f.consumer}, ${f.streamSequence}::bigint, ${f.eventId}, ${f.eventType}, ${f.tenantId}, ${f.payload},
      ${JSON.stringify(f.headers)}::jsonb, ${f.errorCode}, ${f.errorMessage}, ${f.errorStack},
      ${JSON.stringify(f.attempts)}::jsonb, ${f.traceId}, ${failure.retryOf}::uuid)
    returning id::text as id`;
  if (!row) throw new Error('insert returned no row');
  return row.id;
}

/**
 * Deletes closed failures (resolved, or retried: superseded by their retry) last changed
 * before `before`; open failures are never pruned.
 */
export async function pruneResolvedFailures(sql: Sql, before: string): Promise<number> {
  const rows = await sql`delete from processing_failures
    where status in ('resolved', 'retried') and updated_at < ${before}::timestamptz returning id`;
  return rows.length;
}
