import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../services/cli/src/run.js';
import type { Output } from '../../../services/cli/src/format.js';
import { api, NATS_URL, startTestStack } from './harness.js';

// The operator's tools against the real processes: every listener service serves its failure
// operations, the admin API is for platform admins only, and the CLI sees the consumers.
describe('operating the pipeline', () => {
  let env: Awaited<ReturnType<typeof startTestStack>>;
  let owner: ReturnType<typeof api>;
  let admin: ReturnType<typeof api>;

  const chom = async (...args: string[]) => {
    const lines: string[] = [];
    const out: Output = { json: true, write: (line) => lines.push(line) };
    const code = await runCli(
      [...args, '--json'],
      { nats: { servers: NATS_URL }, space: env.config.space, jwtSecret: undefined },
      out,
    );
    return { code, body: JSON.parse(lines.join('\n')) as Record<string, unknown> };
  };

  beforeAll(async () => {
    env = await startTestStack('operate');
    owner = api(env.stack, await env.stack.token({ tenant: 't_ops', user: 'u_owner' }));
    admin = api(env.stack, await env.stack.token({ tenant: 't_platform', user: 'u_op', role: 'platform-admin' }));
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('answers 403 to a tenant user on every admin route, and fans out to every service for a platform admin', async () => {
    const id = '0190a6b0-0000-7000-8000-000000000000';
    for (const [method, path, body] of [
      ['GET', '/api/v1/admin/failures'],
      ['GET', `/api/v1/admin/failures/${id}`],
      ['POST', `/api/v1/admin/failures/${id}/retry`],
      ['POST', `/api/v1/admin/failures/${id}/resolve`, { note: 'x' }],
      ['POST', '/api/v1/admin/failures/retry', { dryRun: true }],
      ['POST', '/api/v1/admin/failures/prune', { before: new Date().toISOString() }],
      ['GET', '/api/v1/admin/events/overview'],
      ['GET', '/api/v1/admin/events'],
      ['GET', `/api/v1/admin/events/${id}`],
      ['GET', '/api/v1/admin/consumers?sampleMs=0'],
      ['GET', '/api/v1/admin/projections'],
      ['GET', '/api/v1/admin/projections/tenant-stats'],
      ['POST', '/api/v1/admin/projections/tenant-stats/rebuild', { dryRun: true }],
    ] as const) {
      expect((await owner(method, path, body)).status, `${method} ${path}`).toBe(403);
    }
    const listed = await admin('GET', '/api/v1/admin/failures');
    expect(listed).toMatchObject({ status: 200, body: { total: 0, unavailable: [] } });
    expect(Object.keys((listed.body?.byService ?? {}) as object).sort()).toEqual([
      'audit',
      'backup',
      'metrics',
      'notification',
      'site',
    ]);
    expect((await admin('GET', `/api/v1/admin/failures/${id}`)).status).toBe(404);
  });

  it('chom consumers catches up after sites are created; events and replay dry run see them', async () => {
    for (let i = 0; i < 5; i += 1)
      expect((await owner('POST', '/api/v1/sites', { domain: `ops${i}.example.com`, siteType: 'html' })).status).toBe(
        201,
      );
    await expect
      .poll(async () => (await chom('consumers', '--max', '0', '--sample-ms', '0')).code, { timeout: 30_000 })
      .toBe(0);
    const overview = await chom('events', 'overview');
    expect((overview.body.perTenant as Record<string, number>).t_ops).toBeGreaterThanOrEqual(5);
    // The gateway reads the same stream (its EVENTS_STREAM) and every listener's durable consumer.
    const viaApi = await admin('GET', '/api/v1/admin/events/overview');
    expect(viaApi.status).toBe(200);
    expect((viaApi.body?.perTenant as Record<string, number>).t_ops).toBeGreaterThanOrEqual(5);
    expect(viaApi.body?.openFailures).toMatchObject({ total: 0, unavailable: [] });
    const consumers = await admin('GET', '/api/v1/admin/consumers?max=100000&sampleMs=200');
    expect(consumers).toMatchObject({ status: 200, body: { over: [] } });
    expect((consumers.body?.consumers as { name: string }[]).map((c) => c.name)).toEqual(
      expect.arrayContaining(['audit', 'site-provisioner', 'metrics', 'tenant-stats', 'notification']),
    );
    const recent = await admin('GET', '/api/v1/admin/events?tenant=t_ops&type=site.created&limit=5');
    expect((recent.body?.items as unknown[]).length).toBe(5);
    for (const projection of ['audit-log', 'tenant-stats', 'backup-sites']) {
      const dry = await chom('replay', projection, '--dry-run');
      expect(dry.body.rebuild, projection).toMatchObject({ state: 'done', dryRun: true });
      expect((dry.body.rebuild as { total: number }).total, projection).toBeGreaterThanOrEqual(5);
    }
  });

  it('rebuilds the tenant statistics through the admin API to the same figures', async () => {
    await expect
      .poll(async () => (await owner('GET', '/api/v1/tenant/stats')).body?.sites, { timeout: 30_000 })
      .toMatchObject({ provisioning: 0, active: 5 });
    const before = await owner('GET', '/api/v1/tenant/stats');
    const projections = await admin('GET', '/api/v1/admin/projections');
    expect(projections.status).toBe(200);
    expect(projections.body?.unavailable).toEqual([]);
    expect((projections.body?.items as { projection: string }[]).map((p) => p.projection).sort()).toEqual([
      'audit-log',
      'backup-sites',
      'tenant-stats',
    ]);
    const started = await admin('POST', '/api/v1/admin/projections/tenant-stats/rebuild', {});
    expect(started.status).toBe(202);
    await expect
      .poll(async () => (await admin('GET', '/api/v1/admin/projections/tenant-stats')).body?.rebuild, {
        timeout: 30_000,
      })
      .toMatchObject({ state: 'done' });
    const after = await owner('GET', '/api/v1/tenant/stats');
    expect({ ...after.body, updatedAt: null }).toEqual({ ...before.body, updatedAt: null });
    expect((await admin('GET', '/api/v1/admin/projections/nope')).status).toBe(404);
  });
});
