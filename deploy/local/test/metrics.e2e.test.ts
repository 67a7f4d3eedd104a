import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, serviceEnv } from '../stack.mjs';
import { backupStatus, requestBackup } from './backup-support.js';
import { api, freePort, mapLimit, startTestStack } from './harness.js';

const N = 12;
const FAILING = 3;
const TENANT = 't_metrics';
const hasBinary = (name: string) => spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
const PROMETHEUS = hasBinary('prometheus') && hasBinary('promtool');
const IN_CI = Boolean(process.env.CI);
if (!PROMETHEUS && !IN_CI) {
  console.warn('SKIPPED: the prometheus test needs `prometheus` and `promtool` (apt-get install -y prometheus)');
}

/** Sums the samples of `name` in Prometheus text whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(match[3]);
  }
  return total;
}

/** Polls `url` until it answers 2xx (beforeAll cannot use expect.poll). */
async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

// N site lifecycles and backups through the gateway (some provisioning fails, half the sites
// deleted, some backups fail), counted by two replicas of the metrics service.
describe('metrics service end to end', () => {
  let env: Awaited<ReturnType<typeof startTestStack>>;
  let call: ReturnType<typeof api>;
  let replica: ChildProcess | undefined;
  let replicaPort = 0;
  const urls: Record<string, string> = {};
  const expected = { created: N, provisioned: N - FAILING, failed: FAILING, deleted: 0, backups: 0, backupsFailed: 0 };
  let backupBytes = 0;

  beforeAll(async () => {
    env = await startTestStack('metrics', {
      site: { PROVISION_DURATION_MS: '30', PROVISION_FAIL_DOMAINS: '^fail-' },
      backup: { BACKUP_WORK_MS: '10' },
      metrics: { METRICS_BACKOFF_MS: '50', TENANT_STATS_BACKOFF_MS: '50' },
    });
    replicaPort = await freePort();
    replica = spawn(process.execPath, ['services/metrics/dist/main.js'], {
      cwd: ROOT,
      env: { ...serviceEnv(env.config, 'metrics', env.stack.secretFile), OPS_PORT: String(replicaPort) },
      stdio: 'ignore',
    });
    const { opsPorts } = env.config;
    Object.assign(urls, {
      site: `http://127.0.0.1:${opsPorts.site}/metrics`,
      audit: `http://127.0.0.1:${opsPorts.audit}/metrics`,
      metrics: `http://127.0.0.1:${opsPorts.metrics}/metrics`,
      metrics2: `http://127.0.0.1:${replicaPort}/metrics`,
      gateway: `${env.stack.gatewayUrl}/metrics`,
    });
    await waitReady(`http://127.0.0.1:${replicaPort}/readyz`, 30_000);
    call = api(env.stack, await env.stack.token({ tenant: TENANT }));
  });
  afterAll(async () => {
    if (replica && replica.exitCode === null) {
      const exited = new Promise((resolve) => replica?.once('exit', resolve));
      replica.kill('SIGTERM');
      await exited;
    }
    await env?.cleanup();
  });

  const scrape = async (url: string) => (await fetch(url)).text();
  const replicas = () => Promise.all([scrape(urls.metrics as string), scrape(urls.metrics2 as string)]);
  const summed = async (name: string, labels: Record<string, string> = {}) =>
    (await replicas()).reduce((n, text) => n + sample(text, name, labels), 0);

  it('counts N lifecycles and backups exactly once across two replicas; tenant stats match the services', async () => {
    const sites = await mapLimit(
      Array.from({ length: N }, (_, i) => i),
      4,
      async (i) => {
        const domain = `${i < FAILING ? 'fail' : 'ok'}-${i}-${randomUUID().slice(0, 6)}.example.com`;
        const created = await call('POST', '/api/v1/sites', { domain, siteType: i % 2 ? 'wordpress' : 'laravel' });
        expect(created.status).toBe(201);
        return created.body as { id: string };
      },
    );
    const settled = async () => {
      const states = await Promise.all(
        sites.map(async (s) => (await call('GET', `/api/v1/sites/${s.id}`)).body?.status),
      );
      return states.filter((s) => s === 'active' || s === 'failed').length;
    };
    await expect.poll(settled, { timeout: 20_000, interval: 100 }).toBe(N);

    // Delete two failed sites and four active ones.
    for (const site of [...sites.slice(0, 2), ...sites.slice(FAILING, FAILING + 4)]) {
      expect((await call('DELETE', `/api/v1/sites/${site.id}`)).status).toBe(200);
      expected.deleted += 1;
    }
    // Real backups through the gateway: one completed for each remaining active site, then
    // two that fail once the backup service needs more free disk than there is.
    const active = sites.slice(FAILING + 4);
    for (const site of active) {
      const backup = await requestBackup(call, site.id);
      await expect.poll(() => backupStatus(call, backup.id), { timeout: 10_000, interval: 50 }).toBe('completed');
      expected.backups += 1;
    }
    await env.stack.stopService('backup');
    env.config.extraEnv.backup = {
      ...env.config.extraEnv.backup,
      BACKUP_MIN_FREE_BYTES: String(Number.MAX_SAFE_INTEGER),
    };
    await env.stack.startService('backup');
    for (const site of active.slice(0, 2)) {
      const backup = await requestBackup(call, site.id, 'database');
      await expect.poll(() => backupStatus(call, backup.id), { timeout: 10_000, interval: 50 }).toBe('failed');
      expected.backupsFailed += 1;
    }
    const backupDb = env.sql('backup');
    try {
      const [held] = await backupDb<{ bytes: number }[]>`
        select coalesce(sum(size_bytes), 0)::float8 as bytes from backups
        where tenant_id = ${TENANT} and status = 'completed'`;
      backupBytes = held?.bytes ?? 0;
      expect(backupBytes).toBeGreaterThan(0);
    } finally {
      await backupDb.end();
    }

    const counters = async () => ({
      created: await summed('sites_created_total'),
      provisioned: await summed('sites_provisioned_total'),
      failed: await summed('sites_provisioning_failed_total'),
      deleted: await summed('sites_deleted_total'),
      backups: await summed('backups_completed_total'),
      backupsFailed: await summed('backups_failed_total'),
    });
    await expect.poll(counters, { timeout: 20_000, interval: 200 }).toEqual(expected);
    // Every site event under its site's type, also when another replica counted its site.created.
    for (const name of ['sites_provisioned_total', 'sites_provisioning_failed_total', 'sites_deleted_total'])
      expect(await summed(name, { site_type: 'unknown' }), name).toBe(0);
    const [one, two] = await replicas();
    // Both replicas took part: they share the durable consumer.
    expect(sample(one as string, 'chom_events_consumed_total', { consumer: 'metrics' })).toBeGreaterThan(0);
    expect(sample(two as string, 'chom_events_consumed_total', { consumer: 'metrics' })).toBeGreaterThan(0);
    await expect
      .poll(() => summed('site_provisioning_duration_seconds_count', { site_type: 'wordpress' }))
      .toBe(N / 2 - 1);
    expect(await summed('backup_size_bytes_sum')).toBe(backupBytes);

    // Settled: the consumer has nothing pending, and the counters still equal N.
    const metricsDb = env.sql('metrics');
    try {
      await expect
        .poll(() => summed('chom_consumer_ack_pending', { consumer: 'metrics' }), { timeout: 10_000 })
        .toBe(0);
      expect(await counters()).toEqual(expected);
      const total = Object.values(expected).reduce((a, b) => a + b, 0);
      const [row] = await metricsDb`select count(*)::int as n from processed_events where consumer = 'metrics'`;
      expect(row?.n).toBe(total);
    } finally {
      await metricsDb.end();
    }

    // Tenant statistics equal what the site and backup services hold.
    const siteDb = env.sql('site');
    try {
      const rows = await siteDb<{ status: string; n: number }[]>`
        select status, count(*)::int as n from sites where tenant_id = ${TENANT} group by status`;
      const held = Object.fromEntries(rows.map((r) => [r.status, r.n]));
      const live = N - (held.deleted ?? 0);
      await expect
        .poll(async () => (await call('GET', '/api/v1/tenant/stats')).body, { timeout: 10_000 })
        .toMatchObject({
          tenantId: TENANT,
          sites: { live, provisioning: held.provisioning ?? 0, active: held.active ?? 0, failed: held.failed ?? 0 },
          backups: { completed: expected.backups, failed: expected.backupsFailed, bytes: backupBytes },
        });
      expect(held).toMatchObject({ active: N - FAILING - 4, failed: FAILING - 2, deleted: 6 });
    } finally {
      await siteDb.end();
    }
  });

  it.skipIf(!PROMETHEUS && !IN_CI)('passes promtool on the rules and every /metrics output', async () => {
    expect(PROMETHEUS, 'prometheus and promtool must be installed in CI').toBe(true);
    const rules = spawnSync('promtool', ['check', 'rules', join(ROOT, 'deploy/prometheus/rules/chom.rules.yml')]);
    expect(rules.status, rules.stderr.toString() + rules.stdout.toString()).toBe(0);
    const local = spawnSync('promtool', ['check', 'config', join(ROOT, 'deploy/prometheus/prometheus.local.yml')]);
    expect(local.status, local.stderr.toString() + local.stdout.toString()).toBe(0);
    for (const [name, url] of Object.entries(urls)) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: await scrape(url) });
      expect(check.status, `${name}: ${check.stdout.toString()}${check.stderr.toString()}`).toBe(0);
    }
  });

  it.skipIf(!PROMETHEUS && !IN_CI)('is scraped by the real prometheus binary', async () => {
    expect(PROMETHEUS, 'prometheus must be installed in CI').toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'chom-prometheus-'));
    const port = await freePort();
    const targets = Object.values(urls).map((u) => new URL(u).host);
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${join(ROOT, 'deploy/prometheus/rules/chom.rules.yml')}']`,
        'scrape_configs:',
        `  - job_name: chom`,
        `    static_configs: [{ targets: ${JSON.stringify(targets)} }]`,
      ].join('\n'),
    );
    const prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const query = async (q: string) => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await response.json()) as { data?: { result?: { value: [number, string] }[] } };
        return Number(body.data?.result?.[0]?.value[1] ?? NaN);
      } catch {
        return NaN;
      }
    };
    try {
      await expect.poll(() => query('count(up == 1)'), { timeout: 20_000, interval: 250 }).toBe(targets.length);
      await expect.poll(() => query('sum(sites_created_total)'), { timeout: 10_000, interval: 250 }).toBe(N);
      await expect
        .poll(() => query('sum(chom_events_published_total{type="site.created"})'), { timeout: 10_000, interval: 250 })
        .toBe(N);
      await expect
        .poll(() => query('max(chom_consumer_pending{consumer="metrics"})'), { timeout: 10_000, interval: 250 })
        .toBe(0);
    } finally {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
