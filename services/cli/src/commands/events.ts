import {
  eventStoreOverview,
  findEvent,
  followEvents,
  recentEvents,
  type EventStoreDeps,
  type RecentEventsQuery,
  type StoredEvent,
} from '@chom/messaging';
import { AppError } from '@chom/contracts';
import { emit, table, type Output } from '../format.js';

const line = (e: StoredEvent) => `${e.seq}  ${e.time}  ${e.tenantId ?? '-'}  ${e.type ?? '-'}  ${e.id ?? '-'}`;

/** `chom events overview`: totals, open failures per service, and how far behind each consumer is. */
export async function overviewCommand(
  deps: EventStoreDeps,
  out: Output,
  extra: { openFailures: Record<string, number>; consumers: { name: string; behind: number }[] },
): Promise<void> {
  const value = { ...(await eventStoreOverview(deps)), ...extra };
  emit(out, value, (o) =>
    [
      `stream ${o.stream}: ${o.total} events (seq ${o.firstSeq}..${o.lastSeq}), ${o.today} today`,
      `open failures: ${
        Object.entries(o.openFailures)
          .map(([s, n]) => `${s} ${n}`)
          .join(', ') || '-'
      }`,
      '',
      table(
        Object.entries(o.perType).map(([type, count]) => ({ type, count })),
        ['type', 'count'],
      ),
      '',
      table(
        Object.entries(o.perTenant).map(([tenant, count]) => ({ tenant, count })),
        ['tenant', 'count'],
      ),
      '',
      table(o.consumers, ['name', 'behind']),
    ].join('\n'),
  );
}

/** `chom events recent`: newest first, with the `--before-seq` cursor for the next page. */
export async function recentCommand(deps: EventStoreDeps, out: Output, query: RecentEventsQuery): Promise<void> {
  emit(out, await recentEvents(deps, query), (page) =>
    [
      table(page.items as unknown as Record<string, unknown>[], ['seq', 'time', 'tenantId', 'type', 'id']),
      ...(page.nextBefore === null ? [] : [`older: --before-seq ${page.nextBefore}`]),
    ].join('\n'),
  );
}

/** `chom events show <id|seq>`. */
export async function showCommand(deps: EventStoreDeps, out: Output, ref: string): Promise<void> {
  const found = await findEvent(deps, ref);
  if (!found) throw new AppError('NOT_FOUND', `no event ${ref}`);
  emit(out, found, (e) => JSON.stringify(e, null, 2));
}

/** `chom events tail`: one line (or JSON document) per event as it is stored, until `signal` aborts. */
export async function tailCommand(
  deps: EventStoreDeps,
  out: Output,
  options: { tenant?: string; type?: string; signal: AbortSignal },
): Promise<void> {
  for await (const e of followEvents(deps, options)) out.write(out.json ? JSON.stringify(e) : line(e));
}
