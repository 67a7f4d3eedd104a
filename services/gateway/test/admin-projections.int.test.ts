import { AppError, projectionOps, type ProjectionStatus } from '@chom/contracts';
import { endpoint, serveEndpoints, type EndpointServer } from '@chom/messaging';
import { captureLogger } from '@chom/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/index.js';
import { bearer, startHarness, type Harness } from './harness.js';

let h: Harness;
let stub: EndpointServer;
const rebuilds: unknown[] = [];
let running = false;

function status(projection: string, state: 'running' | 'done' | null): ProjectionStatus {
  return {
    projection,
    rebuild: state
      ? {
          id: '0190a6b0-0000-7000-8000-00000000000a',
          state,
          from: { kind: 'start' },
          dryRun: false,
          target: 120,
          position: state === 'done' ? 120 : 0,
          processed: state === 'done' ? 120 : 0,
          total: 120,
          error: null,
          startedAt: new Date().toISOString(),
          finishedAt: state === 'done' ? new Date().toISOString() : null,
        }
      : null,
    live: { consumer: projection, pending: 0, ackFloor: 120 },
  };
}

beforeAll(async () => {
  h = await startHarness();
  // The metrics and audit services answer; the backup service is reported unavailable.
  const metrics = projectionOps('metrics');
  const audit = projectionOps('audit');
  stub = serveEndpoints(
    h.nc,
    h.space,
    [
      endpoint(metrics.status, async ({ projection }) => status(projection, running ? 'running' : null)),
      endpoint(metrics.rebuild, async (request) => {
        if (running) throw new AppError('CONFLICT', 'a rebuild of tenant-stats is already running');
        rebuilds.push(request);
        running = !request.dryRun;
        return status(request.projection, request.dryRun ? 'done' : 'running');
      }),
      endpoint(audit.status, async ({ projection }) => status(projection, 'done')),
    ],
    captureLogger('stub').logger,
  );
  await h.nc.flush();
});
afterAll(async () => {
  await stub?.drain();
  await h?.close();
});

const ROUTES = [
  { method: 'GET', url: '/api/v1/admin/projections' },
  { method: 'GET', url: '/api/v1/admin/projections/tenant-stats' },
  { method: 'POST', url: '/api/v1/admin/projections/tenant-stats/rebuild', payload: { dryRun: true } },
] as const;

describe('admin projections API', () => {
  it.each(['owner', 'admin', 'member', 'viewer'] satisfies Role[])('answers 403 to a tenant %s', async (role) => {
    for (const route of ROUTES) {
      const response = await h.app.inject({ ...route, headers: await bearer('t_a', role) });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
    }
    expect(rebuilds).toEqual([]);
  });

  it('lists every projection with its status, naming those whose service did not answer', async () => {
    const response = await h.app.inject({
      method: 'GET',
      url: '/api/v1/admin/projections',
      headers: await bearer('t_platform', 'platform-admin'),
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ items: ProjectionStatus[]; unavailable: string[] }>();
    expect(body.items.map((s) => s.projection).sort()).toEqual(['audit-log', 'tenant-stats']);
    expect(body.items.find((s) => s.projection === 'audit-log')?.rebuild?.state).toBe('done');
    expect(body.unavailable).toEqual(['backup-sites']);
  });

  it('shows one projection, and 404 for a name no service owns', async () => {
    const headers = await bearer('t_platform', 'platform-admin');
    const shown = await h.app.inject({ method: 'GET', url: '/api/v1/admin/projections/tenant-stats', headers });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ projection: 'tenant-stats', rebuild: null, live: { pending: 0 } });
    for (const name of ['nope', 'audit']) {
      const missing = await h.app.inject({ method: 'GET', url: `/api/v1/admin/projections/${name}`, headers });
      expect(missing.statusCode, name).toBe(404);
      expect(missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
    const down = await h.app.inject({ method: 'GET', url: '/api/v1/admin/projections/backup-sites', headers });
    expect(down.statusCode).toBe(503);
  });

  it('starts a rebuild with 202 and its status, then answers 409 while it runs', async () => {
    const headers = await bearer('t_platform', 'platform-admin');
    const url = '/api/v1/admin/projections/tenant-stats/rebuild';
    const dry = await h.app.inject({ method: 'POST', url, headers, payload: { dryRun: true } });
    expect(dry.statusCode).toBe(202);
    expect(dry.json()).toMatchObject({ projection: 'tenant-stats', rebuild: { state: 'done' } });

    const started = await h.app.inject({ method: 'POST', url, headers, payload: { from: { kind: 'seq', seq: 42 } } });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ rebuild: { state: 'running', total: 120 } });
    expect(rebuilds).toEqual([
      { projection: 'tenant-stats', from: { kind: 'start' }, dryRun: true },
      { projection: 'tenant-stats', from: { kind: 'seq', seq: 42 }, dryRun: false },
    ]);

    const again = await h.app.inject({ method: 'POST', url, headers });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'CONFLICT' } });
    running = false;
    expect((await h.app.inject({ method: 'POST', url, headers })).statusCode).toBe(202);
    expect(rebuilds.at(-1)).toEqual({ projection: 'tenant-stats', from: { kind: 'start' }, dryRun: false });
  });

  it('refuses an unknown projection (404) and a malformed start (400) without calling a service', async () => {
    const headers = await bearer('t_platform', 'platform-admin');
    const count = rebuilds.length;
    const unknown = await h.app.inject({ method: 'POST', url: '/api/v1/admin/projections/sites/rebuild', headers });
    expect(unknown.statusCode).toBe(404);
    for (const payload of [{ from: { kind: 'seq' } }, { from: { kind: 'time', time: 'yesterday' } }, { force: true }]) {
      const bad = await h.app.inject({
        method: 'POST',
        url: '/api/v1/admin/projections/tenant-stats/rebuild',
        headers,
        payload,
      });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect(rebuilds.length).toBe(count);
  });
});
