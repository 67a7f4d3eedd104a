import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { parseEvent, type AnyEvent } from '@chom/contracts';

/** Where a replay starts: the stream's first event, a sequence, or a time. */
export type ReplayFrom = { kind: 'start' } | { kind: 'seq'; seq: number } | { kind: 'time'; time: string };

export interface ReplayProgress {
  /** Last stream sequence handled (every event up to it is done). */
  position: number;
  /** Last stream sequence when the replay began: it stops there, later events are live. */
  target: number;
  processed: number;
  /** Events to handle from the start point to the target (matching the filter). */
  total: number;
}

export interface ReplayOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  filter: string;
  from: ReplayFrom;
  /** Stop at this sequence; default the stream's last sequence now. */
  target?: number;
  /** Writes the event into the projection; must be idempotent. */
  handle: (event: AnyEvent, seq: number) => Promise<void>;
  /** Events handled at once; progress is checkpointed after each batch. */
  batch?: number;
  onProgress?: (progress: ReplayProgress) => Promise<void> | void;
  signal?: AbortSignal;
  /** Only count what a replay would handle (`--dry-run`). */
  countOnly?: boolean;
}

const decoder = new TextDecoder();

/**
 * Replays the stream into one projection through an ordered (ephemeral, unacknowledged)
 * consumer: nothing else sees these deliveries, so live listeners go on unaffected. Events
 * are handled in batches; after each batch `onProgress` gets the position to resume from.
 * A payload that is not a valid event is skipped, as the live listener dead-letters it.
 */
export async function replayStream(options: ReplayOptions): Promise<ReplayProgress> {
  const { js, jsm, stream, filter, from } = options;
  const info = await jsm.streams.info(stream);
  const target = options.target ?? info.state.last_seq;
  const start =
    from.kind === 'seq'
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(from.seq, 1) }
      : from.kind === 'time'
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(from.time).toISOString() }
        : { deliver_policy: DeliverPolicy.All };
  const consumer = await js.consumers.get(stream, { filter_subjects: filter, ...start });
  const pending = (await consumer.info()).num_pending;
  const total = Math.max(0, pending - Math.max(0, info.state.last_seq - target));
  const progress: ReplayProgress = { position: from.kind === 'seq' ? from.seq - 1 : 0, target, processed: 0, total };
  if (options.countOnly || pending === 0 || target === 0) return progress;
  const size = options.batch ?? 64;
  const messages = await consumer.consume({ max_messages: Math.max(2 * size, 128) });
  options.signal?.addEventListener('abort', () => void messages.close());
  let batch: Promise<void>[] = [];
  let last = 0;
  const flush = async () => {
    await Promise.all(batch);
    progress.processed += batch.length;
    progress.position = last;
    batch = [];
    await options.onProgress?.({ ...progress });
  };
  try {
    for await (const m of messages) {
      if (m.seq > target) break;
      let event: AnyEvent | undefined;
      try {
        event = parseEvent(JSON.parse(decoder.decode(m.data)));
      } catch {
        event = undefined;
      }
      if (event) batch.push(options.handle(event, m.seq));
      last = m.seq;
      if (batch.length >= size) await flush();
      if (m.seq >= target || m.info.pending === 0) break;
    }
    await flush();
  } finally {
    await messages.close();
  }
  return progress;
}
