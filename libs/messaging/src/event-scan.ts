import { DeliverPolicy, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';

/** One message of the event stream as the event store shows it. */
export interface StoredEvent {
  /** Stream sequence. */
  seq: number;
  subject: string;
  /** When the stream stored it (ISO 8601). */
  time: string;
  /** The envelope's `id`, `type` and `tenantId`, or `null` when the payload has none. */
  id: string | null;
  type: string | null;
  tenantId: string | null;
  /** The parsed JSON payload, or its text when it is not JSON: the store holds whatever was published. */
  event: unknown;
}

const decoder = new TextDecoder();

export function storedEvent(seq: number, subject: string, time: Date, data: Uint8Array): StoredEvent {
  let event: unknown = decoder.decode(data);
  try {
    event = JSON.parse(event as string);
  } catch {
    // kept as text
  }
  const fields = (event && typeof event === 'object' ? event : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    seq,
    subject,
    time: time.toISOString(),
    id: text(fields.id),
    type: text(fields.type),
    tenantId: text(fields.tenantId),
    event,
  };
}

export const storedEventOf = (m: JsMsg): StoredEvent =>
  storedEvent(m.seq, m.subject, new Date(m.info.timestampNanos / 1_000_000), m.data);

export interface ScanRange {
  filter: string;
  startSeq: number;
  /** Last sequence to read (inclusive); default the stream's last sequence now. */
  endSeq?: number;
  /** Only headers are delivered (`m.data` is empty): enough to match on `Nats-Msg-Id`, far less to transfer. */
  headersOnly?: boolean;
}

/**
 * Reads the stream in order over `range` through an ordered consumer (ephemeral, no acks, so
 * no listener is affected), calling `each` until it returns `false` or the range is done.
 */
export async function scanStream(
  jsm: JetStreamManager,
  stream: string,
  range: ScanRange,
  each: (m: JsMsg) => boolean | void,
): Promise<void> {
  const info = await jsm.streams.info(stream);
  const last = Math.min(range.endSeq ?? Infinity, info.state.last_seq);
  const start = Math.max(range.startSeq, 1);
  if (info.state.messages === 0 || start > last) return;
  const consumer = await jsm.jetstream().consumers.get(stream, {
    filter_subjects: range.filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start,
    ...(range.headersOnly ? { headers_only: true } : {}),
  });
  if ((await consumer.info()).num_pending === 0) return;
  const messages = await consumer.consume({ max_messages: 512 });
  try {
    for await (const m of messages) {
      if (m.seq > last || each(m) === false || m.info.pending === 0 || m.seq >= last) break;
    }
  } finally {
    await messages.close();
  }
}

/**
 * The first sequence stored at or after `time`, by binary search over sequences (direct get by
 * start time needs nats-server 2.11); a missing (deleted) sequence counts as before `time`.
 */
export async function firstSeqSince(
  jsm: JetStreamManager,
  stream: string,
  bounds: { first: number; last: number },
  time: Date,
): Promise<number | undefined> {
  let lo = bounds.first;
  let hi = bounds.last + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const at = await jsm.streams.getMessage(stream, { seq: mid });
    if (at && at.time.getTime() >= time.getTime()) hi = mid;
    else lo = mid + 1;
  }
  return lo <= bounds.last ? lo : undefined;
}

/** The creation time a UUID v7 carries in its first 48 bits; `undefined` for any other id. */
export function uuidV7Time(id: string): Date | undefined {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.exec(id);
  if (!match) return undefined;
  return new Date(parseInt(`${match[1]}${match[2]}`, 16));
}
