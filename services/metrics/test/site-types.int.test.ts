import { createEvent, SiteSslExpiring, type AnyEvent } from '@chom/contracts';
import { createDatabase, runMigrations, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';
import { createMetricsRegistry, type Registry } from '@chom/telemetry';
import { captureLogger } from '@chom/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusinessMetrics } from '../src/business-metrics.js';
import { MIGRATIONS_FOLDER } from '../src/db/migrations.js';
import { countOverdueWaits, recordMetrics, type RecordMetricsDeps } from '../src/handlers/record-metrics.js';
import { context, siteEvents } from './fixtures.js';
import { seriesValue } from './harness.js';

// Two replicas of the metrics listener share its consumer, so one may take a site's
// site.provisioned while the other still counts its site.created. Each replica here has its
// own pool and registry over one database, as two processes would.
interface Replica extends RecordMetricsDeps {
  registry: Registry;
  database: Database;
}

let testDb: TestDatabase;
let replicas: [Replica, Replica];
const { logger } = captureLogger('metrics-site-types');

function replica(name: string): Replica {
  const database = createDatabase({ url: testDb.url, max: 4, applicationName: `metrics-${name}` });
  const registry = createMetricsRegistry('metrics', { defaultMetrics: false });
  return { database, db: database.db, registry, metrics: createBusinessMetrics(registry), logger };
}

beforeAll(async () => {
  testDb = await createTestDatabase('metrics_site_types');
  replicas = [replica('a'), replica('b')];
  await runMigrations(replicas[0].database, MIGRATIONS_FOLDER);
});

afterAll(async () => {
  await Promise.all((replicas ?? []).map((r) => r.database.close()));
  await testDb?.drop();
});

/** One series summed over both replicas, as Prometheus would sum it. */
const summed = async (name: string, labels: Record<string, string> = {}) =>
  (await seriesValue(replicas[0].registry, name, labels)) + (await seriesValue(replicas[1].registry, name, labels));

/** The site series of both replicas, by metric and site type, non-zero ones only. */
async function siteSeries(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of replicas)
    for (const metric of await r.registry.getMetricsAsJSON())
      for (const v of metric.values) {
        const type = (v.labels as Record<string, unknown>).site_type;
        const name = (v as { metricName?: string }).metricName ?? metric.name;
        if (type === undefined || v.value === 0 || name.endsWith('_bucket') || name.endsWith('_sum')) continue;
        out[`${name}{${String(type)}}`] = (out[`${name}{${String(type)}}`] ?? 0) + v.value;
      }
  return out;
}

const resetCounters = () => replicas.forEach((r) => r.registry.resetMetrics());

describe('site types across replicas', () => {
  it("counts a site.provisioned taken before its site.created once that is counted, under the site's type", async () => {
    resetCounters();
    const [a, b] = replicas;
    const site = siteEvents('t_order', { siteType: 'laravel', durationSeconds: 3 });
    const [created, provisioned] = site.events as [AnyEvent, AnyEvent];

    await recordMetrics([provisioned], b);
    expect(await summed('sites_provisioned_total', { site_type: 'laravel' })).toBe(0);
    // A redelivery of the waiting event neither counts it nor makes it wait twice.
    await recordMetrics([provisioned], a);

    await recordMetrics([created], a);
    expect(await siteSeries()).toEqual({
      'sites_created_total{laravel}': 1,
      'sites_provisioned_total{laravel}': 1,
      'site_provisioning_duration_seconds_count{laravel}': 1,
    });
    expect(await summed('site_provisioning_duration_seconds_sum', { site_type: 'laravel' })).toBe(3);
    const [row] = await a.database.sql`select site_type, waiting, waiting_since from metric_sites
      where site_id = ${site.siteId}`;
    expect(row).toEqual({ site_type: 'laravel', waiting: null, waiting_since: null });
    // Counted once: the type is known now, and nothing is overdue.
    await recordMetrics([created, provisioned], b);
    expect(await countOverdueWaits(b, 1)).toBe(0);
    expect(await summed('sites_provisioned_total', { site_type: 'laravel' })).toBe(1);
  });

  it('counts every event once under its type when two replicas take one site each of its events at once', async () => {
    resetCounters();
    const [a, b] = replicas;
    const types = ['wordpress', 'laravel', 'html'] as const;
    const sites = Array.from({ length: 120 }, (_, i) =>
      siteEvents('t_race', { siteType: types[i % 3], fails: i % 4 === 0, deleted: i % 5 === 0 }),
    );
    // In rounds of 20 sites: one replica the created events of half of them and the later
    // events of the other half, the other replica the rest, both at once.
    for (let round = 0; round < sites.length / 20; round += 1) {
      const batch = sites.slice(round * 20, round * 20 + 20);
      const first = batch.slice(0, 10);
      const second = batch.slice(10);
      await Promise.all([
        recordMetrics([...first.map((s) => s.events[0]!), ...second.flatMap((s) => s.events.slice(1))], a),
        recordMetrics([...second.map((s) => s.events[0]!), ...first.flatMap((s) => s.events.slice(1))], b),
      ]);
    }
    const expected: Record<string, number> = {};
    const add = (key: string) => (expected[key] = (expected[key] ?? 0) + 1);
    sites.forEach((s, i) => {
      const type = types[i % 3];
      add(`sites_created_total{${type}}`);
      if (i % 4 === 0) add(`sites_provisioning_failed_total{${type}}`);
      else {
        add(`sites_provisioned_total{${type}}`);
        add(`site_provisioning_duration_seconds_count{${type}}`);
      }
      if (i % 5 === 0) add(`sites_deleted_total{${type}}`);
    });
    expect(await siteSeries()).toEqual(expected);
    // What waited was counted and cleared.
    const [left] = await a.database.sql`select count(*)::int as n from metric_sites where waiting is not null`;
    expect(left?.n).toBe(0);
  });

  it('counts a site event whose site.created never comes as of an unknown type once it has waited too long', async () => {
    resetCounters();
    const [a, b] = replicas;
    const site = siteEvents('t_late', { siteType: 'php', deleted: true });
    const [created, provisioned, deleted] = site.events as [AnyEvent, AnyEvent, AnyEvent];
    await recordMetrics([provisioned], a);
    await recordMetrics([deleted], b);
    expect(await countOverdueWaits(a, 60_000)).toBe(0);
    await expect.poll(() => countOverdueWaits(b, 50), { timeout: 5_000, interval: 20 }).toBe(2);
    expect(await countOverdueWaits(a, 50)).toBe(0);
    expect(await siteSeries()).toEqual({
      'sites_provisioned_total{unknown}': 1,
      'site_provisioning_duration_seconds_count{unknown}': 1,
      'sites_deleted_total{unknown}': 1,
    });
    // A late site.created counts only itself: what waited has been counted.
    await recordMetrics([created], a);
    expect(await summed('sites_created_total', { site_type: 'php' })).toBe(1);
    expect(await summed('sites_provisioned_total', { site_type: 'php' })).toBe(0);
  });

  it('neither counts nor keeps a site.ssl_expiring', async () => {
    resetCounters();
    const { siteId } = siteEvents('t_ssl');
    const event = createEvent(SiteSslExpiring, context('t_ssl'), {
      siteId,
      domain: 'ssl.example.com',
      daysUntilExpiration: 9,
      sslExpiresAt: new Date(Date.now() + 9 * 86_400_000).toISOString(),
    });
    await recordMetrics([event], replicas[0]);
    expect(await siteSeries()).toEqual({});
    const rows = await replicas[0].database.sql`select 1 from metric_sites where site_id = ${siteId}`;
    expect(rows).toHaveLength(0);
  });
});
