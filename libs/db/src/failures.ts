import type postgres from 'postgres';
import type { FailureAttempt, FailureStatus } from './schema.js';

/** A delivery that will not be retried any more: what the consumer runner records. */
export interface FailureRecord {
  eventId: string | null;
  eventType: string | null;
  streamSequence: number;
  consumer: string;
  tenantId: string | null;
  /** The raw message body as text, kept even when it is not valid JSON. */
  payload: string;
  headers: Record<string, string>;
  errorCode: string;
  errorMessage: string;
  errorStack: string | null;
  attempts: FailureAttempt[];
  traceId: string | null;
  /** The failure this delivery retried, when it was a retry. */
  retryOf?: string | null;
}

/** Where the consumer runner puts dead letters. */
export interface FailureStore {
  /** Idempotent: recording the same consumer + stream sequence (+ retryOf) again keeps the first row. */
  record(failure: FailureRecord): Promise<void>;
  /** Failures of `consumer` still open (status `failed`), for the `chom_failures_open` gauge. */
  countOpen?(consumer: string): Promise<number>;
}

/** A stored failure. */
export interface Failure extends FailureRecord {
  id: string;
  retryOf: string | null;
  status: FailureStatus;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
}

export interface FailureFilter {
  consumer?: string | undefined;
  status?: FailureStatus | undefined;
  tenantId?: string | undefined;
}

/**
 * Postgres text and jsonb cannot hold U+0000, which a garbage payload may carry; a failure
 * that cannot be stored would be retried for ever, so NULs become U+FFFD.
 */
export function storableFailure(f: FailureRecord): FailureRecord {
  const clean = (s: string) => s.replaceAll('\u0000', '\uFFFD');
  const cleanOrNull = (s: string | null) => (s === null ? null : clean(s));
  return {
    ...f,
    eventId: cleanOrNull(f.eventId),
    eventType: cleanOrNull(f.eventType),
    consumer: clean(f.consumer),
    tenantId: cleanOrNull(f.tenantId),
    payload: clean(f.payload),
    headers: Object.fromEntries(Object.entries(f.headers).map(([k, v]) => [clean(k), clean(v)])),
    errorCode: clean(f.errorCode),
    errorMessage: clean(f.errorMessage),
    errorStack: cleanOrNull(f.errorStack),
    attempts: f.attempts.map((a) => ({ at: a.at, error: clean(a.error) })),
    traceId: cleanOrNull(f.traceId),
  };
}

/** The failure store over the `processing_failures` table. */
export function pgFailureStore(sql: postgres.Sql): FailureStore {
  return {
    async record(failure) {
      const f = storableFailure(failure);
      await sql`
        insert into processing_failures (consumer, stream_sequence, event_id, event_type, tenant_id, payload,
          headers, error_code, error_message, error_stack, attempts, trace_id, retry_of)
        values (${f.consumer}, ${f.streamSequence}::bigint, ${f.eventId}, ${f.eventType}, ${f.tenantId}, ${f.payload},
          ${JSON.stringify(f.headers)}::jsonb, ${f.errorCode}, ${f.errorMessage}, ${f.errorStack},
          ${JSON.stringify(f.attempts)}::jsonb, ${f.traceId}, ${f.retryOf ?? null}::uuid)
        on conflict on constraint processing_failures_delivery_key do nothing`;
    },
    countOpen: (consumer) => countFailures(sql, { consumer, status: 'failed' }),
  };
}

function where(sql: postgres.Sql, filter: FailureFilter): postgres.PendingQuery<postgres.Row[]> {
  return sql`where true
    ${filter.consumer === undefined ? sql`` : sql`and consumer = ${filter.consumer}`}
    ${filter.status === undefined ? sql`` : sql`and status = ${filter.status}`}
    ${filter.tenantId === undefined ? sql`` : sql`and tenant_id = ${filter.tenantId}`}`;
}

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

interface FailureRow {
  id: string;
  consumer: string;
  stream_sequence: string;
  event_id: string | null;
  event_type: string | null;
  tenant_id: string | null;
  payload: string;
  headers: Record<string, string>;
  error_code: string;
  error_message: string;
  error_stack: string | null;
  attempts: FailureAttempt[];
  trace_id: string | null;
  retry_of: string | null;
  status: FailureStatus;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
}

export function toFailure(row: FailureRow): Failure {
  return {
    id: row.id,
    consumer: row.consumer,
    streamSequence: Number(row.stream_sequence),
    eventId: row.event_id,
    eventType: row.event_type,
    tenantId: row.tenant_id,
    payload: row.payload,
    headers: row.headers,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    errorStack: row.error_stack,
    attempts: row.attempts,
    traceId: row.trace_id,
    retryOf: row.retry_of,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    resolvedAt: row.resolved_at,
  };
}

/** Failures matching `filter`, newest first. */
export async function listFailures(
  sql: postgres.Sql,
  filter: FailureFilter & { limit: number; offset?: number },
): Promise<Failure[]> {
  const rows = await sql<FailureRow[]>`
    select id::text, consumer, stream_sequence::text, event_id, event_type, tenant_id, payload, headers,
      error_code, error_message, error_stack, attempts, trace_id, retry_of::text, status,
      ${sql.unsafe(iso('created_at'))} as created_at, ${sql.unsafe(iso('updated_at'))} as updated_at,
      ${sql.unsafe(iso('resolved_at'))} as resolved_at
    from processing_failures ${where(sql, filter)}
    order by processing_failures.created_at desc, processing_failures.id desc limit ${filter.limit} offset ${filter.offset ?? 0}`;
  return rows.map(toFailure);
}

/** The exact number of failures matching `filter`. */
export async function countFailures(sql: postgres.Sql, filter: FailureFilter = {}): Promise<number> {
  const [row] = await sql<{ count: number }[]>`
    select count(*)::int as count from processing_failures ${where(sql, filter)}`;
  return row?.count ?? 0;
}
