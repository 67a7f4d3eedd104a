import {
  AppError,
  failureOps,
  LISTENER_SERVICES,
  type FailureFilter,
  type FailureOps,
  type FailureView,
  type SubjectSpace,
} from '@chom/contracts';
import { requestOperation } from '@chom/messaging';
import type { NatsConnection } from '@nats-io/nats-core';
import { emit, table, type Output } from '../format.js';

export interface FailuresDeps {
  nc: NatsConnection;
  space: Pick<SubjectSpace, 'services'>;
  out: Output;
  timeoutMs?: number;
}

async function eachService<T>(
  deps: FailuresDeps,
  services: readonly string[],
  call: (ops: FailureOps) => Promise<T>,
): Promise<{ results: { service: string; value: T }[]; unavailable: string[] }> {
  const settled = await Promise.allSettled(
    services.map(async (s) => ({ service: s, value: await call(failureOps(s)) })),
  );
  const results: { service: string; value: T }[] = [];
  const unavailable: string[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') results.push(s.value);
    else if (s.reason instanceof AppError && ['SERVICE_UNAVAILABLE', 'TIMEOUT'].includes(s.reason.code))
      unavailable.push(services[i] ?? '');
    else throw s.reason;
  });
  return { results, unavailable };
}

const request = <O extends FailureOps[keyof FailureOps]>(deps: FailuresDeps, op: O, body: unknown) =>
  requestOperation(deps.nc, deps.space, op, body as never, { timeoutMs: deps.timeoutMs ?? 10_000 });

const servicesOf = (service: string | undefined) => (service ? [service] : LISTENER_SERVICES);

/** Open failure counts per service (the overview's figure). */
export async function openFailures(deps: FailuresDeps): Promise<Record<string, number>> {
  const { results } = await eachService(deps, LISTENER_SERVICES, (ops) =>
    request(deps, ops.count, { filter: { status: 'failed' } }),
  );
  return Object.fromEntries(results.map((r) => [r.service, (r.value as { count: number }).count]));
}

export async function listFailures(deps: FailuresDeps, filter: FailureFilter & { service?: string }, limit: number) {
  const { service, ...rest } = filter;
  const { results, unavailable } = await eachService(deps, servicesOf(service), (ops) =>
    request(deps, ops.list, { filter: rest, limit }),
  );
  const lists = results.map((r) => ({ service: r.service, ...(r.value as { items: FailureView[]; total: number }) }));
  const items = lists
    .flatMap((l) => l.items)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, limit);
  const total = lists.reduce((sum, l) => sum + l.total, 0);
  const value = { total, items, unavailable };
  emit(deps.out, value, (v) =>
    [
      table(
        v.items.map((f) => ({ ...f, attempts: f.attempts.length, error: f.errorMessage.slice(0, 60) })),
        ['id', 'service', 'consumer', 'eventType', 'tenantId', 'status', 'attempts', 'createdAt', 'error'],
      ),
      `${v.total} failure(s)${v.unavailable.length ? `; no answer from ${v.unavailable.join(', ')}` : ''}`,
    ].join('\n'),
  );
  return value;
}

async function find(deps: FailuresDeps, id: string): Promise<FailureView> {
  const { results } = await eachService(deps, LISTENER_SERVICES, async (ops) => {
    try {
      return (await request(deps, ops.get, { id })) as FailureView;
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  });
  const found = results.find((r) => r.value)?.value;
  if (!found) throw new AppError('NOT_FOUND', `no failure ${id}`);
  return found;
}

export async function showFailure(deps: FailuresDeps, id: string) {
  const f = await find(deps, id);
  emit(deps.out, f, (v) =>
    [
      `${v.id}  ${v.service}/${v.consumer}  ${v.status}`,
      `event     ${v.eventType ?? '-'} ${v.eventId ?? '-'} (seq ${v.streamSequence}, tenant ${v.tenantId ?? '-'})`,
      `error     ${v.errorCode}: ${v.errorMessage}`,
      `trace     ${v.traceId ?? '-'}`,
      `retry of  ${v.retryOf ?? '-'}`,
      `note      ${v.resolutionNote ?? '-'}`,
      'attempts:',
      ...v.attempts.map((a) => `  ${a.at}  ${a.error}`),
      'payload:',
      v.payload,
      ...(v.errorStack ? ['stack:', v.errorStack] : []),
    ].join('\n'),
  );
  return f;
}

export async function retryFailure(deps: FailuresDeps, id: string) {
  const f = await find(deps, id);
  const result = (await request(deps, failureOps(f.service).retry, { id })) as {
    outcome: string;
    newFailureId: string | null;
    error: string | null;
  };
  emit(deps.out, result, (r) =>
    r.outcome === 'resolved' ? `${id}: resolved` : `${id}: failed again (${r.error}), new failure ${r.newFailureId}`,
  );
  return result;
}

export async function retryMatching(
  deps: FailuresDeps,
  filter: FailureFilter & { service?: string },
  options: { dryRun: boolean; limit: number },
) {
  const { service, ...rest } = filter;
  const { results, unavailable } = await eachService(deps, servicesOf(service), (ops) =>
    request(deps, ops.retryMany, { filter: rest, limit: options.limit, dryRun: options.dryRun }),
  );
  const byService = Object.fromEntries(
    results.map((r) => [r.service, r.value as { matched: number; results: { outcome: string }[] }]),
  );
  const matched = Object.values(byService).reduce((sum, r) => sum + r.matched, 0);
  const value = { matched, dryRun: options.dryRun, byService, unavailable };
  emit(deps.out, value, (v) => {
    const outcomes = Object.values(v.byService).flatMap((r) => r.results);
    const resolved = outcomes.filter((o) => o.outcome === 'resolved').length;
    return v.dryRun
      ? `${v.matched} open failure(s) match; nothing retried (dry run)`
      : `${v.matched} matched, ${outcomes.length} retried: ${resolved} resolved, ${outcomes.length - resolved} failed again`;
  });
  return value;
}

export async function resolveFailure(deps: FailuresDeps, id: string, note: string) {
  const f = await find(deps, id);
  const result = (await request(deps, failureOps(f.service).resolve, { id, note })) as FailureView;
  emit(deps.out, result, (v) => `${v.id}: ${v.status} (${v.resolutionNote ?? ''})`);
  return result;
}

export async function pruneFailures(deps: FailuresDeps, before: string, service?: string) {
  const { results, unavailable } = await eachService(deps, servicesOf(service), (ops) =>
    request(deps, ops.prune, { before }),
  );
  const deleted = results.reduce((sum, r) => sum + (r.value as { deleted: number }).deleted, 0);
  emit(deps.out, { deleted, unavailable }, (v) => `${v.deleted} closed failure(s) older than ${before} deleted`);
  return deleted;
}
