import { randomUUID } from 'node:crypto';
import { AppError, failureOps, type FailureView } from '@chom/contracts';
import { endpoint, serveEndpoints, type EndpointServer } from '@chom/messaging';
import { captureLogger } from '@chom/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/index.js';
import { bearer, startHarness, type Harness } from './harness.js';

let h: Harness;
let stub: EndpointServer;
const failureId = randomUUID();
const retried: string[] = [];

function failure(service: string): FailureView {
  return {
    id: failureId,
    service,
    consumer: service,
    streamSequence: 7,
    eventId: randomUUID(),
    eventType: 'site.created',
    tenantId: 't_a',
    payload: '{}',
    headers: {},
    errorCode: 'HANDLER_FAILED',
    errorMessage: 'boom',
    errorStack: null,
    attempts: [{ at: new Date().toISOString(), error: 'boom' }],
    traceId: null,
    retryOf: null,
    status: 'failed',
    resolutionNote: null,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    resolvedAt: null,
  };
}

beforeAll(async () => {
  h = await startHarness();
  // Only the audit service answers; the others are reported unavailable.
  const ops = failureOps('audit');
  stub = serveEndpoints(
    h.nc,
    h.space,
    [
      endpoint(ops.list, async () => ({ items: [failure('audit')], total: 1 })),
      endpoint(ops.get, async ({ id }) => {
        if (id !== failureId) throw new AppError('NOT_FOUND', 'no such failure');
        return failure('audit');
      }),
      endpoint(ops.retry, async ({ id }) => {
        retried.push(id);
        return { id, outcome: 'resolved' as const, newFailureId: null, error: null };
      }),
    ],
    captureLogger('stub').logger,
  );
  await h.nc.flush();
});
afterAll(async () => {
  await stub?.drain();
  await h?.close();
});

const ADMIN_ROUTES = [
  { method: 'GET', url: '/api/v1/admin/failures' },
  { method: 'GET', url: `/api/v1/admin/failures/${failureId}` },
  { method: 'POST', url: `/api/v1/admin/failures/${failureId}/retry` },
  { method: 'POST', url: `/api/v1/admin/failures/${failureId}/resolve`, payload: { note: 'x' } },
  { method: 'POST', url: '/api/v1/admin/failures/retry', payload: { dryRun: true } },
  { method: 'POST', url: '/api/v1/admin/failures/prune', payload: { before: new Date().toISOString() } },
] as const;

describe('admin API', () => {
  it.each(['owner', 'admin', 'member', 'viewer'] satisfies Role[])('answers 403 to a tenant %s', async (role) => {
    for (const route of ADMIN_ROUTES) {
      const response = await h.app.inject({ ...route, headers: await bearer('t_a', role) });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
    }
    expect(retried).toEqual([]);
  });

  it('lists failures across services for a platform admin, naming those that did not answer', async () => {
    const response = await h.app.inject({
      method: 'GET',
      url: '/api/v1/admin/failures?status=failed',
      headers: await bearer('t_platform', 'platform-admin'),
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ total: number; items: FailureView[]; unavailable: string[] }>();
    expect(body.total).toBe(1);
    expect(body.items[0]).toMatchObject({ id: failureId, service: 'audit' });
    expect(body.unavailable.sort()).toEqual(['backup', 'metrics', 'notification', 'site']);
  });

  it('finds the service that holds a failure and retries it there', async () => {
    const headers = await bearer('t_platform', 'platform-admin');
    const shown = await h.app.inject({ method: 'GET', url: `/api/v1/admin/failures/${failureId}`, headers });
    expect(shown.json()).toMatchObject({ service: 'audit', errorMessage: 'boom' });
    const retry = await h.app.inject({ method: 'POST', url: `/api/v1/admin/failures/${failureId}/retry`, headers });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ outcome: 'resolved' });
    expect(retried).toEqual([failureId]);
    const missing = await h.app.inject({ method: 'GET', url: `/api/v1/admin/failures/${randomUUID()}`, headers });
    expect(missing.statusCode).toBe(404);
  });
});
