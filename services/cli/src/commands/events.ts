import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { parseEventSubject, type SubjectSpace } from '@chom/contracts';
import { emit, table, type Output } from '../format.js';

export interface EventsDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  space: Pick<SubjectSpace, 'stream' | 'events'>;
}

export interface StoredEvent {
  seq: number;
  subject: string;
  time: string;
  id: string | null;
  type: string | null;
  tenantId: string | null;
  event: unknown;
}

const decoder = new TextDecoder();

function stored(seq: number, subject: string, time: Date, data: Uint8Array): StoredEvent {
  let event: unknown = decoder.decode(data);
  try {
    event = JSON.parse(event as string);
  } catch {
    // kept as text: the store holds whatever was published
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

const fromMsg = (m: JsMsg) => stored(m.seq, m.subject, new Date(m.info.timestampNanos / 1_000_000), m.data);

/** Totals of the event store: events, today's, per type and per tenant (from the stream's subject counts). */
export async function overview(deps: EventsDeps) {
  const { jsm, space } = deps;
  const info = await jsm.streams.info(space.stream, { subjects_filter: `${space.events}.>` });
  const perType: Record<string, number> = {};
  const perTenant: Record<string, number> = {};
  for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
    const parsed = parseEventSubject(space, subject);
    if (!parsed) continue;
    const type = `${parsed.aggregate}.${parsed.action}`;
    perType[type] = (perType[type] ?? 0) + count;
    perTenant[parsed.tenantId] = (perTenant[parsed.tenantId] ?? 0) + count;
  }
  const midnight = new Date();
  midnight.setUTCHours(0, 0, 0, 0);
  const since = await firstSeqSince(jsm, space.stream, info.state.first_seq, info.state.last_seq, midnight);
  const today = info.state.messages > 0 && since !== undefined ? info.state.last_seq - since + 1 : 0;
  return {
    stream: space.stream,
    total: info.state.messages,
    today,
    firstSeq: info.state.first_seq,
    lastSeq: info.state.last_seq,
    firstTime: info.state.first_ts,
    lastTime: info.state.last_ts,
    perType,
    perTenant,
  };
}

/** Reads the stream in order from `startSeq` (filtered) up to its last sequence now, calling `each`. */
export async function scan(
  deps: EventsDeps,
  options: { filter: string; startSeq: number },
  each: (m: JsMsg) => boolean | void,
): Promise<void> {
  const info = await deps.jsm.streams.info(deps.space.stream);
  if (info.state.messages === 0 || options.startSeq > info.state.last_seq) return;
  const consumer = await deps.js.consumers.get(deps.space.stream, {
    filter_subjects: options.filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(options.startSeq, 1),
  });
  if ((await consumer.info()).num_pending === 0) return;
  const messages = await consumer.consume({ max_messages: 512 });
  try {
    for await (const m of messages) {
      if (each(m) === false || m.info.pending === 0 || m.seq >= info.state.last_seq) break;
    }
  } finally {
    await messages.close();
  }
}

export function eventFilterOf(space: Pick<SubjectSpace, 'events'>, tenant?: string, type?: string): string {
  const [aggregate, action] = type ? type.split('.') : ['*', '*'];
  return `${space.events}.${tenant ?? '*'}.${aggregate ?? '*'}.${action ?? '*'}`;
}

/** The last `limit` events matching the filters, looking back at most `window` sequences. */
export async function recent(
  deps: EventsDeps,
  options: { limit: number; tenant?: string; type?: string; window?: number },
): Promise<StoredEvent[]> {
  const info = await deps.jsm.streams.info(deps.space.stream);
  const window = options.window ?? 100_000;
  const ring: StoredEvent[] = [];
  await scan(
    deps,
    {
      filter: eventFilterOf(deps.space, options.tenant, options.type),
      startSeq: Math.max(info.state.first_seq, info.state.last_seq - window + 1),
    },
    (m) => {
      ring.push(fromMsg(m));
      if (ring.length > options.limit) ring.shift();
    },
  );
  return ring.reverse();
}

/** One event by stream sequence (a number) or by event id (the `Nats-Msg-Id` header). */
export async function showEvent(deps: EventsDeps, key: string): Promise<StoredEvent | undefined> {
  if (/^\d+$/.test(key)) {
    try {
      const m = await deps.jsm.streams.getMessage(deps.space.stream, { seq: Number(key) });
      if (!m) return undefined;
      return stored(m.seq, m.subject, m.time, m.data);
    } catch {
      return undefined;
    }
  }
  let found: StoredEvent | undefined;
  await scan(deps, { filter: `${deps.space.events}.>`, startSeq: 1 }, (m) => {
    if (m.headers?.get('Nats-Msg-Id') !== key) return true;
    found = fromMsg(m);
    return false;
  });
  return found;
}

/** Prints events as they arrive until `signal` aborts. */
export async function tail(
  deps: EventsDeps,
  out: Output,
  options: { tenant?: string; type?: string; signal: AbortSignal },
): Promise<void> {
  const consumer = await deps.js.consumers.get(deps.space.stream, {
    filter_subjects: eventFilterOf(deps.space, options.tenant, options.type),
    deliver_policy: DeliverPolicy.New,
  });
  const messages = await consumer.consume();
  options.signal.addEventListener('abort', () => void messages.close());
  for await (const m of messages) {
    const e = fromMsg(m);
    out.write(
      out.json ? JSON.stringify(e) : `${e.seq}  ${e.time}  ${e.tenantId ?? '-'}  ${e.type ?? '-'}  ${e.id ?? '-'}`,
    );
  }
}

export function printEvents(out: Output, events: StoredEvent[]): void {
  emit(out, events, (list) =>
    table(list as unknown as Record<string, unknown>[], ['seq', 'time', 'tenantId', 'type', 'id']),
  );
}

/**
 * The first sequence stored at or after `time`, by binary search over sequences (direct get by
 * start time is not on nats-server 2.9); a missing (deleted) sequence counts as before `time`.
 */
async function firstSeqSince(
  jsm: JetStreamManager,
  stream: string,
  first: number,
  last: number,
  time: Date,
): Promise<number | undefined> {
  let lo = first;
  let hi = last + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const at = await jsm.streams.getMessage(stream, { seq: mid }).catch(() => null);
    if (at && at.time.getTime() >= time.getTime()) hi = mid;
    else lo = mid + 1;
  }
  return lo <= last ? lo : undefined;
}
