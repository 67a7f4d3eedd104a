import {
  AckPolicy,
  DeliverPolicy,
  ReplayPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Logger } from '@chom/telemetry';
import { isNotFound } from './streams.js';

/** One listener: its durable consumer and how the runner retries and parallelises it. */
export interface ListenerSpec {
  /** Durable consumer name, the listener's name (`audit`, `tenant-stats`). */
  name: string;
  /** One subject filter (nats-server 2.9 has no multi-filter consumers). */
  filterSubject: string;
  /** Total tries, the first included; always finite. */
  maxDeliver: number;
  /** Delay before try n+1 after try n failed; the last entry repeats. */
  backoffMs: number[];
  ackWaitMs: number;
  maxAckPending: number;
  /** Handler calls (single events or batches) running at the same time in one runner. */
  concurrency: number;
  /** Events handed to the listener's batch handler at once; default 1 (no batching). */
  batchSize?: number;
}

/** The fields a listener spec sets and nats-server 2.9 can change in place. */
function updatable(spec: ListenerSpec): Partial<ConsumerConfig> {
  return {
    filter_subject: spec.filterSubject,
    max_deliver: spec.maxDeliver,
    ack_wait: nanos(spec.ackWaitMs),
    max_ack_pending: spec.maxAckPending,
    // The runner naks with the delay for each try itself: a server-side backoff would only
    // apply when ack_wait expires, and would override ack_wait.
    backoff: undefined,
  };
}

export function validateListenerSpec(spec: ListenerSpec): void {
  if (!Number.isInteger(spec.maxDeliver) || spec.maxDeliver < 1)
    throw new Error(`${spec.name}: maxDeliver must be a finite integer >= 1`);
  if (spec.backoffMs.length === 0 || spec.backoffMs.some((d) => !(d >= 0)))
    throw new Error(`${spec.name}: backoffMs needs delays >= 0`);
  if (!(spec.ackWaitMs > 0) || !(spec.maxAckPending > 0) || !(spec.concurrency > 0)) {
    throw new Error(`${spec.name}: ackWaitMs, maxAckPending and concurrency must be positive`);
  }
  if (spec.batchSize !== undefined && !(Number.isInteger(spec.batchSize) && spec.batchSize >= 1))
    throw new Error(`${spec.name}: batchSize must be an integer >= 1`);
}

/** What differs between a consumer and the spec: fields to update in place, or reasons it must be recreated. */
export function consumerDrift(current: ConsumerConfig, spec: ListenerSpec): { update: string[]; recreate: string[] } {
  const recreate: string[] = [];
  if (current.ack_policy !== AckPolicy.Explicit) recreate.push('ack_policy');
  if (current.deliver_subject) recreate.push('deliver_subject (push consumer)');
  if (current.filter_subjects && current.filter_subjects.length > 0) recreate.push('filter_subjects');
  const wanted = updatable(spec);
  const update: string[] = [];
  if ((current.filter_subject ?? '') !== wanted.filter_subject) update.push('filter_subject');
  if (current.max_deliver !== wanted.max_deliver) update.push('max_deliver');
  if (current.ack_wait !== wanted.ack_wait) update.push('ack_wait');
  if (current.max_ack_pending !== wanted.max_ack_pending) update.push('max_ack_pending');
  if (current.backoff && current.backoff.length > 0) update.push('backoff');
  return { update, recreate };
}

/**
 * Creates the listener's durable pull consumer (explicit ack, delivering the whole stream),
 * or corrects drift in place. Only what nats-server cannot change in place (ack policy, push
 * vs pull) is fixed by recreating it, from the old consumer's ack floor so that nothing
 * acknowledged is delivered again; that is logged as a warning. Deliver policy only matters
 * at creation and is left as found.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  spec: ListenerSpec,
  logger: Logger,
): Promise<void> {
  validateListenerSpec(spec);
  const current = await consumerInfo(jsm, stream, spec.name);
  if (!current) {
    await jsm.consumers.add(stream, create(spec, { deliver_policy: DeliverPolicy.All }));
    logger.info({ stream, consumer: spec.name }, 'consumer created');
    return;
  }
  const drift = consumerDrift(current.config, spec);
  if (drift.recreate.length > 0) {
    const from = current.ack_floor.stream_seq + 1;
    logger.warn(
      { stream, consumer: spec.name, drift: drift.recreate, fromSequence: from },
      'consumer cannot be updated in place: recreating it',
    );
    await jsm.consumers.delete(stream, spec.name);
    await jsm.consumers.add(stream, create(spec, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from }));
    return;
  }
  if (drift.update.length === 0) return;
  await jsm.consumers.update(stream, spec.name, updatable(spec));
  logger.info({ stream, consumer: spec.name, drift: drift.update }, 'consumer configuration updated');
}

function create(spec: ListenerSpec, start: Partial<ConsumerConfig>): Partial<ConsumerConfig> {
  const { backoff: _none, ...settable } = updatable(spec);
  return {
    durable_name: spec.name,
    ack_policy: AckPolicy.Explicit,
    replay_policy: ReplayPolicy.Instant,
    ...start,
    ...settable,
  };
}

async function consumerInfo(jsm: JetStreamManager, stream: string, name: string): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
