import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { aggregateKey, parseEvent, type AnyEvent } from '@chom/contracts';

/** Where a replay starts: the stream's first event, a sequence, or a time. */
export type ReplayFrom = { kind: 'start' } | { kind: 'seq'; seq: number } | { kind: 'time'; time: string };

export interface ReplayProgress {
  /** Last stream sequence handled (every event up to it is done). */
  position: number;
  /** Last stream sequence when the replay began: it stops there, later events are live. */
  target: number;
  processed: number;
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
}

interface Range {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  filter: string;
  first: number;
  target: number;
  batch: number;
  headersOnly?: boolean;
  signal?: AbortSignal;
}

const decoder = new TextDecoder();

/** The first stream sequence a replay from `from` reads (a time: the first event at or after it). */
async function firstSequence(jsm: JetStreamManager, stream: string, from: ReplayFrom): Promise<number> {
  if (from.kind === 'seq') return Math.max(from.seq, 1);
  if (from.kind === 'start') return 1;
  const info = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(from.time).toISOString(),
    mem_storage: true,
    inactive_threshold: nanos(30_000),
  });
  await jsm.consumers.delete(stream, info.name).catch(() => undefined);
  return info.delivered.stream_seq + 1;
}

/**
 * The messages matching `filter` from sequence `first` through `target`, a batch at a time,
 * through an ordered consumer. Where the range ends is found by asking the stream for the
 * next matching message (direct get) before each fetch, not from pending counts: nats-server
 * 2.9 miscounts `num_pending` of a filtered consumer that starts mid-stream (seen 212 for 272
 * events, and a message's own pending at 0 with 60 to come).
 */
async function* readRange(range: Range): AsyncGenerator<JsMsg[]> {
  const { jsm, stream, filter, target } = range;
  if (range.first > target) return;
  const consumer = await range.js.consumers.get(stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: range.first,
    ...(range.headersOnly ? { headers_only: true } : {}),
  });
  let cursor = range.first;
  let empty = 0;
  while (!range.signal?.aborted) {
    const next = (await jsm.direct.getMessage(stream, { seq: cursor, next_by_subj: filter }))?.seq;
    if (next === undefined || next > target) return;
    // No more can match up to the target. Where every event matches the filter, no fetch waits; where some do
    // not, the last fetch of a quiet stream waits out its expiry (1 s) for events that do not come.
    const messages = await consumer.fetch({ max_messages: Math.min(range.batch, target - next + 1), expires: 1_000 });
    const out: JsMsg[] = [];
    let done = false;
    for await (const m of messages) {
      done = m.seq >= target;
      if (m.seq > target) break;
      out.push(m);
      cursor = m.seq + 1;
      if (done) break;
    }
    if (out.length > 0) yield out;
    if (done) return;
    empty = out.length === 0 ? empty + 1 : 0;
    if (empty > 1) throw new Error(`replay of ${stream} found no message at ${cursor}, where one was expected`);
  }
}

/**
 * Where a replay from `from` starting now stops (the stream's last sequence) and how many
 * messages matching `filter` it will read. From the start, both come from one stream info
 * with its per-subject counts (exact, and quick however long the stream); from a sequence or a
 * time, the range is read, headers only, and counted.
 */
export async function planReplay(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  from: ReplayFrom,
): Promise<{ target: number; total: number }> {
  if (from.kind === 'start') {
    const { state } = await jsm.streams.info(stream, { subjects_filter: filter });
    const total = Object.values(state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
    return { target: state.last_seq, total };
  }
  const target = (await jsm.streams.info(stream)).state.last_seq;
  const first = await firstSequence(jsm, stream, from);
  let total = 0;
  for await (const messages of readRange({ js, jsm, stream, filter, first, target, batch: 1_000, headersOnly: true }))
    total += messages.length;
  return { target, total };
}

/**
 * Replays the stream into one projection through an ordered (ephemeral, unacknowledged)
 * consumer: nothing else sees these deliveries, so live listeners go on unaffected. Events
 * are handled in batches, one aggregate's events in stream order (as the live listener
 * does) and different aggregates side by side; after each batch `onProgress` gets the
 * position to resume from. A payload that is not a valid event is skipped, as the live
 * listener dead-letters it. An abort stops it after the batch under way.
 */
export async function replayStream(options: ReplayOptions): Promise<ReplayProgress> {
  const { js, jsm, stream, filter, signal } = options;
  const target = options.target ?? (await jsm.streams.info(stream)).state.last_seq;
  const first = await firstSequence(jsm, stream, options.from);
  const progress: ReplayProgress = { position: first - 1, target, processed: 0 };
  const batch = options.batch ?? 64;
  for await (const messages of readRange({
    js,
    jsm,
    stream,
    filter,
    first,
    target,
    batch,
    ...(signal ? { signal } : {}),
  })) {
    const running = new Map<string, Promise<void>>();
    let handled = 0;
    for (const m of messages) {
      const event = parseOrUndefined(m.data);
      if (!event) continue;
      const key = aggregateKey(event);
      running.set(
        key,
        (running.get(key) ?? Promise.resolve()).then(() => options.handle(event, m.seq)),
      );
      handled += 1;
    }
    await Promise.all(running.values());
    progress.processed += handled;
    progress.position = messages.at(-1)?.seq ?? progress.position;
    await options.onProgress?.({ ...progress });
    if (signal?.aborted) break;
  }
  return progress;
}

function parseOrUndefined(data: Uint8Array): AnyEvent | undefined {
  try {
    return parseEvent(JSON.parse(decoder.decode(data)));
  } catch {
    return undefined;
  }
}
