import {
  AppError,
  failureOps,
  FailureFilter,
  type FailureView,
  LISTENER_SERVICES,
  type FailureOps,
} from '@chom/contracts';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from './types.js';

export const ListenerService = z.enum(LISTENER_SERVICES);
export const FailureIdParams = z.strictObject({ id: z.uuid() });
/** Route options of every admin route: the platform-admin role only. */
export const adminOnly = { access: 'platform-admin' as const };

export const FailureScope = FailureFilter.extend({ service: ListenerService.optional() });
export type FailureScope = z.infer<typeof FailureScope>;

/** The services a scope covers, and the filter each of them applies. */
export function servicesOf(scope: FailureScope): { services: string[]; filter: FailureFilter } {
  const { service, ...filter } = scope;
  return { services: service ? [service] : [...LISTENER_SERVICES], filter };
}

/** Runs `call` against every service; a service that does not answer is named, not fatal. */
export async function fanOut<T>(
  services: string[],
  call: (ops: FailureOps) => Promise<T>,
): Promise<{ results: { service: string; value: T }[]; unavailable: string[] }> {
  const settled = await Promise.allSettled(
    services.map(async (service) => ({
      service,
      value: await call(failureOps(service)),
    })),
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

/** Finds which service holds failure `id` (ids are UUIDs, unique across services). */
export async function findFailure(deps: RouteDeps, request: FastifyRequest, id: string): Promise<FailureView> {
  const settled = await Promise.allSettled(
    LISTENER_SERVICES.map((service) => deps.services.operate(request, failureOps(service).get, { id })),
  );
  for (const s of settled) if (s.status === 'fulfilled') return s.value;
  const unexpected = settled.find(
    (s) => s.status === 'rejected' && !(s.reason instanceof AppError && s.reason.code === 'NOT_FOUND'),
  );
  if (unexpected?.status === 'rejected' && !(unexpected.reason instanceof AppError)) throw unexpected.reason;
  throw new AppError('NOT_FOUND', `no failure ${id}`);
}
