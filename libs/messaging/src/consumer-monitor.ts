import { setTimeout as delay } from 'node:timers/promises';
import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';

/** One durable consumer's backlog, lag and processing rate. */
export interface ConsumerState {
  name: string;
  filter: string | null;
  pending: number;
  ackPending: number;
  redelivered: number;
  /** Events not yet handled: pending + ack-pending. */
  behind: number;
  lastDelivery: string | null;
  lastAck: string | null;
  /** Age of the oldest event not yet acknowledged, in seconds; 0 when caught up. */
  lagSeconds: number;
  /** Deliveries settled per second between the two samples; `null` when not sampled. */
  ackRate: number | null;
  /** `behind / ackRate` in seconds; 0 when caught up, `null` when nothing was settled. */
  catchUpSeconds: number | null;
}

/** What one sample of a consumer keeps for the rate: when, and how many deliveries were settled by then. */
export interface ConsumerSample {
  atMs: number;
  settled: number;
}

/** How `consumerStates` samples. */
export interface ConsumerMonitorOptions {
  /** Time between the two samples the rate is measured over (default 1000); 0 takes one sample, no rate. */
  sampleMs?: number;
  signal?: AbortSignal;
}

type Counters = Pick<ConsumerInfo, 'delivered' | 'ack_floor' | 'num_ack_pending'>;

/**
 * Deliveries of this consumer settled so far, in consumer sequences (so events of subjects the
 * consumer does not take never count): every delivery up to the ack floor, and above it every
 * one not still awaiting its ack. Out-of-order acks above the floor count at once; a message
 * redelivered counts once per delivery.
 */
export function settledDeliveries(info: Counters): number {
  return Math.max(info.ack_floor.consumer_seq, info.delivered.consumer_seq - info.num_ack_pending);
}

/**
 * Deliveries settled per second between two samples, to one decimal; `null` when the samples
 * cannot be compared (no time between them, or the consumer was recreated and its sequences restarted).
 */
export function ackRate(before: ConsumerSample, after: ConsumerSample): number | null {
  const seconds = (after.atMs - before.atMs) / 1000;
  const settled = after.settled - before.settled;
  if (!(seconds > 0) || settled < 0) return null;
  return Math.round((settled / seconds) * 10) / 10;
}

/** Seconds to work off `behind` at `rate`: 0 when nothing is behind, `null` when the rate is unknown or zero. */
export function catchUpSeconds(behind: number, rate: number | null): number | null {
  if (behind === 0) return 0;
  if (rate === null || rate <= 0) return null;
  return Math.round((behind / rate) * 10) / 10;
}

/** The names of the consumers more than `max` events behind (the `queue:monitor` threshold). */
export function consumersOver(states: readonly ConsumerState[], max: number): string[] {
  return states.filter((s) => s.behind > max).map((s) => s.name);
}

async function sample(jsm: JetStreamManager, stream: string): Promise<{ atMs: number; infos: ConsumerInfo[] }> {
  const infos: ConsumerInfo[] = [];
  // Ordered consumers (replays, SSE clients, event store reads) are ephemeral: not listeners.
  for await (const info of jsm.consumers.list(stream)) if (info.config.durable_name) infos.push(info);
  return { atMs: performance.now(), infos };
}

/**
 * Every durable consumer of `stream` with its backlog, lag and, from two samples of its info
 * `sampleMs` apart, its processing rate and the time it needs to catch up at that rate.
 */
export async function consumerStates(
  jsm: JetStreamManager,
  stream: string,
  options: ConsumerMonitorOptions = {},
): Promise<ConsumerState[]> {
  const sampleMs = options.sampleMs ?? 1000;
  const first = sampleMs > 0 ? await sample(jsm, stream) : undefined;
  if (first) await delay(sampleMs, undefined, options.signal ? { signal: options.signal } : {});
  const last = await sample(jsm, stream);
  const before = new Map(first?.infos.map((i) => [i.name, { atMs: first.atMs, settled: settledDeliveries(i) }]));
  const states = await Promise.all(
    last.infos.map(async (info): Promise<ConsumerState> => {
      const behind = info.num_pending + info.num_ack_pending;
      const earlier = before.get(info.name);
      const rate = earlier ? ackRate(earlier, { atMs: last.atMs, settled: settledDeliveries(info) }) : null;
      return {
        name: info.name,
        filter: info.config.filter_subject ?? null,
        pending: info.num_pending,
        ackPending: info.num_ack_pending,
        redelivered: info.num_redelivered,
        behind,
        lastDelivery: timeOf(info.delivered.last_active),
        lastAck: timeOf(info.ack_floor.last_active),
        lagSeconds: behind > 0 ? await lagOf(jsm, info) : 0,
        ackRate: rate,
        catchUpSeconds: catchUpSeconds(behind, rate),
      };
    }),
  );
  return states.sort((a, b) => a.name.localeCompare(b.name));
}

/** Age of the consumer's oldest unacknowledged event: the first one of its subjects after its ack floor. */
async function lagOf(jsm: JetStreamManager, info: ConsumerInfo): Promise<number> {
  const oldest = await jsm.direct.getMessage(info.stream_name, {
    seq: info.ack_floor.stream_seq + 1,
    next_by_subj: info.config.filter_subject ?? '>',
  });
  if (!oldest) return 0;
  return Math.round(Math.max(0, (Date.now() - oldest.time.getTime()) / 1000) * 10) / 10;
}

/** The server sends `last_active` as an RFC 3339 time, whatever the client's types say. */
function timeOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
