import { DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { parseEventSubject, type SubjectSpace } from '@chom/contracts';
import { firstSeqSince, scanStream, storedEvent, storedEventOf, uuidV7Time, type StoredEvent } from './event-scan.js';

export type { StoredEvent } from './event-scan.js';

/** What the event store queries read: the JetStream API and which stream and subject root. */
export interface EventStoreDeps {
  jsm: JetStreamManager;
  space: Pick<SubjectSpace, 'stream' | 'events'>;
}

/** Totals of the event store. */
export interface EventStoreOverview {
  stream: string;
  total: number;
  /** Events stored since midnight UTC. */
  today: number;
  firstSeq: number;
  lastSeq: number;
  firstTime: string;
  lastTime: string;
  perType: Record<string, number>;
  perTenant: Record<string, number>;
}

/**
 * Totals of the event store: events, today's, per type and per tenant. The per-subject counts
 * come from the stream itself (`events.<tenant>.<aggregate>.<action>`), so nothing is read.
 */
export async function eventStoreOverview(deps: EventStoreDeps): Promise<EventStoreOverview> {
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
  const { messages, first_seq: first, last_seq: last } = info.state;
  const midnight = new Date();
  midnight.setUTCHours(0, 0, 0, 0);
  const since = messages > 0 ? await firstSeqSince(jsm, space.stream, { first, last }, midnight) : undefined;
  return {
    stream: space.stream,
    total: messages,
    today: since === undefined ? 0 : last - since + 1,
    firstSeq: first,
    lastSeq: last,
    firstTime: info.state.first_ts,
    lastTime: info.state.last_ts,
    perType,
    perTenant,
  };
}

/** The subject filter for a tenant and an event type (`site.created`), each optional. */
export function eventFilterOf(space: Pick<SubjectSpace, 'events'>, tenant?: string, type?: string): string {
  const [aggregate, action] = type ? type.split('.') : ['*', '*'];
  return `${space.events}.${tenant ?? '*'}.${aggregate ?? '*'}.${action ?? '*'}`;
}

/** Filters and page of `recentEvents`. */
export interface RecentEventsQuery {
  limit: number;
  tenant?: string;
  type?: string;
  /** Only events stored at or after this time. */
  since?: Date;
  /** Only events with a smaller stream sequence: the previous page's `nextBefore`. */
  beforeSeq?: number;
  /** Sequences looked at per call, at most (default 100,000): bounds the cost of a sparse filter. */
  window?: number;
}

/** A page of events and the cursor to the next, older, one. */
export interface RecentEvents {
  /** Newest first. */
  items: StoredEvent[];
  /** Pass as `beforeSeq` for older events; `null` when there are none. */
  nextBefore: number | null;
}

/** The newest `limit` events matching the filters, newest first, with a cursor to older ones. */
export async function recentEvents(deps: EventStoreDeps, query: RecentEventsQuery): Promise<RecentEvents> {
  const { jsm, space } = deps;
  const none: RecentEvents = { items: [], nextBefore: null };
  const info = await jsm.streams.info(space.stream);
  if (info.state.messages === 0) return none;
  const end = Math.min(info.state.last_seq, (query.beforeSeq ?? Infinity) - 1);
  let floor = info.state.first_seq;
  if (query.since) {
    const bounds = { first: floor, last: info.state.last_seq };
    const since = await firstSeqSince(jsm, space.stream, bounds, query.since);
    if (since === undefined) return none;
    floor = since;
  }
  if (end < floor) return none;
  const lowest = Math.max(floor, end - (query.window ?? 100_000) + 1);
  const filter = eventFilterOf(space, query.tenant, query.type);
  // Backwards in growing chunks, each read forwards: a page of recent events reads about a page
  // of the stream, a sparse filter reads further back, never past the window.
  const found: StoredEvent[] = [];
  let hi = end;
  for (let size = Math.max(query.limit, 256); found.length < query.limit && hi >= lowest; size *= 2) {
    const lo = Math.max(lowest, hi - size + 1);
    const chunk: StoredEvent[] = [];
    await scanStream(jsm, space.stream, { filter, startSeq: lo, endSeq: hi }, (m) => {
      chunk.push(storedEventOf(m));
    });
    found.push(...chunk.reverse());
    hi = lo - 1;
  }
  const items = found.slice(0, query.limit);
  const nextBefore = found.length > query.limit ? (items.at(-1)?.seq ?? null) : hi >= floor ? hi + 1 : null;
  return { items, nextBefore };
}

/** How far before the time in a UUID v7 id its event may have been stored (clocks of two hosts). */
const ID_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * One event by stream sequence (digits) or by event id (its `Nats-Msg-Id`); `undefined` when
 * absent. An id is searched reading headers only, from the time its UUID v7 carries onwards
 * first, then the rest of the stream, so a usual lookup reads only the events after it.
 */
export async function findEvent(deps: EventStoreDeps, ref: string): Promise<StoredEvent | undefined> {
  const { jsm, space } = deps;
  const get = async (seq: number) => {
    const m = seq >= 1 ? await jsm.streams.getMessage(space.stream, { seq }) : null;
    return m && m.subject.startsWith(`${space.events}.`) ? storedEvent(m.seq, m.subject, m.time, m.data) : undefined;
  };
  if (/^\d+$/.test(ref)) return get(Number(ref));
  const info = await jsm.streams.info(space.stream);
  if (info.state.messages === 0) return undefined;
  const { first_seq: first, last_seq: last } = info.state;
  const created = uuidV7Time(ref);
  const from = created
    ? ((await firstSeqSince(jsm, space.stream, { first, last }, new Date(created.getTime() - ID_CLOCK_SKEW_MS))) ??
      first)
    : first;
  let seq: number | undefined;
  const look = (startSeq: number, endSeq: number) =>
    scanStream(jsm, space.stream, { filter: `${space.events}.>`, startSeq, endSeq, headersOnly: true }, (m) => {
      if (m.headers?.get('Nats-Msg-Id') !== ref) return true;
      seq = m.seq;
      return false;
    });
  await look(from, last);
  if (seq === undefined && from > first) await look(first, from - 1);
  return seq === undefined ? undefined : get(seq);
}

/** Events as they are stored from now on, until `signal` aborts. */
export async function* followEvents(
  deps: EventStoreDeps,
  options: { tenant?: string; type?: string; signal?: AbortSignal },
): AsyncGenerator<StoredEvent> {
  const consumer = await deps.jsm.jetstream().consumers.get(deps.space.stream, {
    filter_subjects: eventFilterOf(deps.space, options.tenant, options.type),
    deliver_policy: DeliverPolicy.New,
  });
  const messages = await consumer.consume();
  const stop = () => void messages.close();
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const m of messages) yield storedEventOf(m);
  } finally {
    options.signal?.removeEventListener('abort', stop);
    await messages.close();
  }
}
