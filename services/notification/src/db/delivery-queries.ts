import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from './queries.js';
import { deliveries, type Channel } from './schema.js';

export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  eventId: string;
  eventType: string;
  streamSequence: number;
  channel: Channel;
  target: string;
  webhookId: string | null;
  payload: Record<string, unknown>;
  /** This try's number, the first being 1. */
  attempt: number;
  maxAttempts: number;
  attemptLog: { at: string; error: string }[];
}

type ClaimRow = {
  id: string;
  tenant_id: string;
  event_id: string;
  event_type: string;
  stream_sequence: string;
  channel: Channel;
  target: string;
  webhook_id: string | null;
  payload: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  attempt_log: { at: string; error: string }[];
};

/**
 * Takes up to `limit` due deliveries for this worker: pending ones whose time has come, and
 * `sending` ones whose lease ran out (their worker died mid-send). Each becomes `sending` with
 * a lease and one more attempt, in one statement; SKIP LOCKED lets replicas take different rows.
 */
export async function claimDeliveries(db: Db, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  return claim(
    db,
    leaseMs,
    sql`SELECT id FROM deliveries
      WHERE (status = 'pending' AND next_attempt_at <= now()) OR (status = 'sending' AND lease_until < now())
      ORDER BY next_attempt_at, id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED`,
  );
}

/** Takes one delivery that failed for good, for an operator's retry; `undefined` when it is not `failed`. */
export async function claimFailedDelivery(db: Db, id: string, leaseMs: number): Promise<ClaimedDelivery | undefined> {
  const [claimed] = await claim(
    db,
    leaseMs,
    sql`SELECT id FROM deliveries WHERE id = ${id} AND status = 'failed' FOR UPDATE SKIP LOCKED`,
  );
  return claimed;
}

async function claim(db: Db, leaseMs: number, which: SQL): Promise<ClaimedDelivery[]> {
  const rows = await db.execute<ClaimRow>(sql`
    UPDATE deliveries d
    SET status = 'sending', attempts = d.attempts + 1, lease_until = now() + ${leaseMs} * interval '1 millisecond',
        updated_at = now()
    WHERE d.id IN (${which})
    RETURNING d.id, d.tenant_id, d.event_id, d.event_type, d.stream_sequence, d.channel, d.target, d.webhook_id,
      d.payload, d.attempts, d.max_attempts, d.attempt_log`);
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    eventId: r.event_id,
    eventType: r.event_type,
    streamSequence: Number(r.stream_sequence),
    channel: r.channel,
    target: r.target,
    webhookId: r.webhook_id,
    payload: r.payload,
    attempt: r.attempts,
    maxAttempts: r.max_attempts,
    attemptLog: r.attempt_log,
  }));
}

/** Only while this worker still holds the row (`sending`, this attempt). */
const held = (d: ClaimedDelivery) =>
  and(eq(deliveries.id, d.id), eq(deliveries.status, 'sending'), eq(deliveries.attempts, d.attempt));

export async function markSent(db: Db, d: ClaimedDelivery, at: Date): Promise<void> {
  await db
    .update(deliveries)
    .set({ status: 'sent', sentAt: at, leaseUntil: null, lastError: null, updatedAt: at })
    .where(held(d));
}

/** Back to `pending` at `retryAt`, or `failed` for good when `retryAt` is undefined. */
export async function markAttemptFailed(
  db: Db,
  d: ClaimedDelivery,
  error: string,
  at: Date,
  retryAt: Date | undefined,
): Promise<void> {
  await db
    .update(deliveries)
    .set({
      status: retryAt ? 'pending' : 'failed',
      lastError: error,
      attemptLog: [...d.attemptLog, { at: at.toISOString(), error }],
      nextAttemptAt: retryAt ?? at,
      leaseUntil: null,
      updatedAt: at,
    })
    .where(held(d));
}

export async function markCancelled(db: Db, d: ClaimedDelivery, reason: string, at: Date): Promise<void> {
  await db
    .update(deliveries)
    .set({ status: 'cancelled', lastError: reason, leaseUntil: null, updatedAt: at })
    .where(held(d));
}
