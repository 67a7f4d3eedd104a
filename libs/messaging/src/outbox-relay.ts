import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type postgres from 'postgres';
import {
  OUTBOX_CHANNEL,
  leaveOutboxLead,
  openSession,
  markOutbox,
  notifyRelays,
  onOutboxCommitted,
  outboxBacklog,
  pendingOutbox,
  pruneOutbox,
  type OutboxRow,
  type PublishResult,
} from '@chom/db';
import {
  extractTraceContext,
  recordError,
  SpanKind,
  trace,
  traceHeaders,
  tracer,
  type Logger,
  type Registry,
} from '@chom/telemetry';
import { relayMetrics, type RelayMetrics } from './metrics.js';

export interface OutboxRelayOptions {
  sql: postgres.Sql;
  js: JetStreamClient;
  logger: Logger;
  registry?: Registry;
  /** Rows per batch (default 100). */
  batchSize?: number;
  /** Polling fallback when no notification arrives, and a standby relay's bid for the lead (default 1 s). */
  pollIntervalMs?: number;
  /** How long sent rows are kept before pruning (default 24 h). */
  retainSentMs?: number;
  /** How often sent rows are pruned (default 1 min). */
  pruneIntervalMs?: number;
  /** Time to wait for each publish acknowledgement (default 5 s). */
  publishTimeoutMs?: number;
  /** Backoff after a failed batch: doubles from the first to the second value (default 100 ms .. 10 s). */
  retryBackoffMs?: [number, number];
}

export interface OutboxRelay {
  /** Finishes the batch in hand, then stops. */
  stop(): Promise<void>;
}

const encoder = new TextEncoder();

class PublishFailed extends Error {
  constructor(
    readonly failed: number,
    firstError: string | undefined,
  ) {
    super(`publish failed: ${firstError}`);
    this.name = 'PublishFailed';
  }
}

/**
 * Publishes committed outbox rows to JetStream, oldest first, and marks them sent. Woken at
 * once by this process's own commits, by `NOTIFY chom_outbox` from other processes, and by
 * polling as the fallback; keeps going while rows are pending. Only the relay holding the
 * relay lock (one per database) publishes, so rows reach the stream in id order, with two statements per batch and no
 * transaction (marking a batch and reading the next share a round trip); a relay standing by
 * notifies the leader of its own process's commits and bids for the lead at every poll. Each
 * event is published with `Nats-Msg-Id` = its id, so a row published again (a crash between
 * publish and marking, a new leader) is dropped by the stream as a duplicate. A failed batch
 * is retried with backoff; its rows stay pending.
 */
export async function startOutboxRelay(options: OutboxRelayOptions): Promise<OutboxRelay> {
  const { sql, js, logger } = options;
  const log = logger.child({ component: 'outbox-relay' });
  const batchSize = options.batchSize ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const retainSentMs = options.retainSentMs ?? 24 * 3_600_000;
  const pruneIntervalMs = options.pruneIntervalMs ?? 60_000;
  const [firstBackoff, maxBackoff] = options.retryBackoffMs ?? [100, 10_000];
  const metrics: RelayMetrics | undefined = options.registry
    ? relayMetrics(options.registry, () => outboxBacklog(sql))
    : undefined;

  let stopping = false;
  let nudged = false;
  let committedHere = false;
  let wake: (() => void) | undefined;
  const nudge = () => {
    nudged = true;
    wake?.();
  };
  const rest = (ms: number) =>
    new Promise<void>((resolve) => {
      if (nudged || stopping) return resolve();
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  // Never throws: a row that fails is reported in `failed`.
  const publish = (rows: OutboxRow[]): Promise<PublishResult> =>
    publishBatch(js, rows, options.publishTimeoutMs ?? 5_000, metrics && ((row) => observePublished(metrics, row)));
  const leader = leaderSession(sql, log);
  const listening = await sql.listen(OUTBOX_CHANNEL, nudge);
  // This process's own commits wake it at once, without a round trip through Postgres.
  const unsubscribe = onOutboxCommitted(sql, () => {
    committedHere = true;
    nudge();
  });
  let failures = 0;
  let lastPrune = 0;

  /** One wake-up's work: true when this relay published (or could have), false when standing by. */
  const drain = async (): Promise<boolean> => {
    const conn = leader.session;
    let next = await pendingOutbox(conn, batchSize);
    if (!next.lead) return false;
    while (next.lead && next.rows.length > 0 && !stopping) {
      const result = await publish(next.rows);
      if (result.failed.length > 0) {
        await markOutbox(conn, result);
        throw new PublishFailed(result.failed.length, result.failed[0]?.error);
      }
      if (next.rows.length < batchSize && !nudged) {
        // Nothing committed since the read: no need to read again (a later commit wakes us).
        await markOutbox(conn, result);
        break;
      }
      // Marking this batch and reading the next go out together: one round trip. The read
      // sees every commit that woke us so far.
      nudged = false;
      [, next] = await Promise.all([markOutbox(conn, result), pendingOutbox(conn, batchSize)]);
    }
    return next.lead;
  };

  const loop = (async () => {
    while (!stopping) {
      nudged = false;
      const ownRows = committedHere;
      committedHere = false;
      try {
        const leading = await drain();
        failures = 0;
        // Standing by: the leader does not hear of this process's commits otherwise.
        if (!leading && ownRows) notifyRelays(sql);
        if (leading && Date.now() - lastPrune >= pruneIntervalMs) {
          lastPrune = Date.now();
          const pruned = await pruneOutbox(sql, retainSentMs);
          if (pruned > 0) log.debug({ pruned }, 'pruned sent outbox rows');
        }
      } catch (error) {
        failures += 1;
        if (error instanceof PublishFailed) metrics?.failures.inc(error.failed);
        const delay = Math.min(firstBackoff * 2 ** (failures - 1), maxBackoff);
        log.warn({ err: error, failures, retryInMs: delay }, 'outbox relay batch failed: rows stay pending');
        nudged = false;
        await rest(delay);
        continue;
      }
      await rest(pollIntervalMs);
    }
  })();

  log.info({ batchSize, pollIntervalMs }, 'outbox relay started');
  return {
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      unsubscribe();
      await listening.unlisten();
      await leader.close();
      log.info('outbox relay stopped');
    },
  };
}

/**
 * The relay's own session (a one-connection client), on which it holds the relay lock while it
 * leads. If the connection drops, the lock goes with it and the next read opens a new session
 * that asks for the lock again. `close` lets go of the lock and ends the client.
 */
function leaderSession(sql: postgres.Sql, log: Logger) {
  const session = openSession(sql, 'outbox-relay');
  return {
    session,
    async close(): Promise<void> {
      await leaveOutboxLead(session).catch((error: unknown) =>
        log.debug({ err: error }, 'leaving the relay lock failed'),
      );
      await session.end({ timeout: 5 });
    },
  };
}

/** Counts the row's event by type and observes its dispatch duration, at its publish ack. */
function observePublished(metrics: RelayMetrics, row: OutboxRow): void {
  const type = (row.event as { type?: unknown } | null)?.type;
  metrics.published.inc({ type: typeof type === 'string' ? type : 'unknown' });
  const createdAt = row.createdAt?.getTime();
  if (createdAt !== undefined && !Number.isNaN(createdAt)) {
    metrics.dispatch.observe(Math.max(Date.now() - createdAt, 0) / 1000);
  }
}

/**
 * Publishes every row at once (pipelined) and reports, in row order, the rows acknowledged
 * before the first failure as sent and that first failure as failed. Rows after it stay
 * pending: if some of them did reach the stream, their next publish is a duplicate it drops.
 * Order on the stream holds when the failures are a suffix of the batch (broker or connection
 * down, timeouts); a row the broker refuses on its own lets the rows after it land first.
 */
export async function publishBatch(
  js: JetStreamClient,
  rows: OutboxRow[],
  timeoutMs: number,
  onAck?: (row: OutboxRow) => void,
): Promise<PublishResult> {
  const settled = await Promise.allSettled(
    rows.map(async (row) => {
      const ack = await publishRow(js, row, timeoutMs);
      // A duplicate was published before (a crash before marking, another relay): not counted again.
      if (!ack.duplicate) onAck?.(row);
      return ack;
    }),
  );
  const result: PublishResult = { sent: [], failed: [] };
  for (const [index, outcome] of settled.entries()) {
    const row = rows[index] as OutboxRow;
    if (outcome.status === 'fulfilled') {
      result.sent.push(row.id);
      continue;
    }
    const reason: unknown = outcome.reason;
    result.failed.push({ id: row.id, error: reason instanceof Error ? reason.message : String(reason) });
    break;
  }
  return result;
}

/**
 * Publishes one row in a PRODUCER span whose parent is the trace context stored on the row
 * (the request or handler that wrote it); the message carries the span's own context.
 */
async function publishRow(js: JetStreamClient, row: OutboxRow, timeoutMs: number): Promise<PubAck> {
  const headers = row.headers ?? {};
  const event = row.event as { type?: unknown; tenantId?: unknown; data?: { siteId?: unknown; backupId?: unknown } };
  const type = typeof event.type === 'string' ? event.type : 'event';
  const parent = extractTraceContext(headers);
  const span = tracer().startSpan(
    `publish ${type}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'publish',
        'messaging.destination.name': row.subject,
        'messaging.message.id': row.eventId,
        ...(typeof event.tenantId === 'string' ? { 'chom.tenant_id': event.tenantId } : {}),
        ...(typeof event.data?.siteId === 'string' ? { 'chom.site_id': event.data.siteId } : {}),
        ...(typeof event.data?.backupId === 'string' ? { 'chom.backup_id': event.data.backupId } : {}),
        'chom.outbox.attempts': row.attempts,
      },
    },
    parent,
  );
  const hdrs = natsHeaders();
  for (const [key, value] of Object.entries({ ...headers, ...traceHeaders(trace.setSpan(parent, span)) }))
    hdrs.set(key, value);
  try {
    const ack = await js.publish(row.subject, encoder.encode(JSON.stringify(row.event)), {
      msgID: row.eventId,
      headers: hdrs,
      timeout: timeoutMs,
    });
    if (ack.duplicate) span.setAttribute('messaging.nats.duplicate', true);
    return ack;
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}
