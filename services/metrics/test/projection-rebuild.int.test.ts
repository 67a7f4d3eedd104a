import { projectionOps, type AnyEvent, type ProjectionStatus } from '@chom/contracts';
import { requestOperation } from '@chom/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsDb } from '../src/db/queries.js';
import { backupCompleted, backupFailed, siteEvents } from './fixtures.js';
import { startHarness, type MetricsHarness } from './harness.js';

// The tenant statistics rebuilt from the stream while the live tenant-stats listener goes on,
// compared with what the events say they must be.
let h: MetricsHarness;
const ops = projectionOps('metrics');
const published: AnyEvent[] = [];

/** Holds transactions back once `allowance` is spent, until opened: pauses a replay mid-way. */
const gate = {
  allowance: Infinity,
  release: () => {},
  held: Promise.resolve(),
  closeAfter(n: number) {
    this.allowance = n;
    this.held = new Promise<void>((resolve) => (this.release = resolve));
  },
  open() {
    this.allowance = Infinity;
    this.release();
  },
  async pass() {
    if (this.allowance <= 0) await this.held;
    this.allowance -= 1;
  },
};

beforeAll(async () => {
  h = await startHarness('rebuild', {
    db: (real) =>
      new Proxy(real, {
        get(target, property, receiver) {
          if (property !== 'transaction') return Reflect.get(target, property, receiver) as unknown;
          return async (run: (tx: unknown) => Promise<unknown>) => {
            await gate.pass();
            return target.transaction(run);
          };
        },
      }) as MetricsDb,
  });
});
afterAll(async () => {
  gate.open();
  await h?.stop();
});

const TENANTS = ['t_ra', 't_rb', 't_rc'];
const at = (minute: number) => new Date(Date.UTC(2025, 4, 1, 12, minute));

/** Publishes the events, one site's (or backup's) events in order, different ones interleaved. */
async function publish(lives: AnyEvent[][]): Promise<void> {
  for (let step = 0; lives.some((l) => l[step]); step += 1) {
    const round = lives.map((l) => l[step]).filter((e): e is AnyEvent => e !== undefined);
    published.push(...round);
    await Promise.all(round.map((e) => h.publish(e)));
  }
}

/** What the statistics must hold: each site counted in the state of its last event, every backup once. */
function expected() {
  const STATE: Record<string, string> = {
    'site.created': 'provisioning',
    'site.provisioned': 'active',
    'site.provisioning_failed': 'failed',
    'site.deleted': 'deleted',
  };
  const sites = new Map<string, { tenant_id: string; state: string }>();
  const stats = new Map<string, Record<string, number | null>>();
  const of = (tenant: string) => {
    const row = stats.get(tenant) ?? { prov: 0, active: 0, failed: 0, completed: 0, bfailed: 0, bytes: 0, last: null };
    stats.set(tenant, row);
    return row;
  };
  for (const e of published) {
    const row = of(e.tenantId);
    if (e.type === 'backup.completed') {
      row.completed = (row.completed ?? 0) + 1;
      row.bytes = (row.bytes ?? 0) + e.data.sizeBytes;
      row.last = Math.max(row.last ?? 0, Date.parse(e.occurredAt));
    } else if (e.type === 'backup.failed') {
      row.bfailed = (row.bfailed ?? 0) + 1;
    } else if (STATE[e.type]) {
      sites.set((e.data as { siteId: string }).siteId, { tenant_id: e.tenantId, state: STATE[e.type] as string });
    }
  }
  for (const site of sites.values()) {
    const row = of(site.tenant_id);
    const key = { provisioning: 'prov', active: 'active', failed: 'failed' }[site.state];
    if (key) row[key] = (row[key] ?? 0) + 1;
  }
  return {
    stats: [...stats]
      .map(([tenant_id, r]) => ({ tenant_id, ...r }))
      .sort((a, b) => a.tenant_id.localeCompare(b.tenant_id)),
    sites: [...sites].map(([site_id, s]) => ({ site_id, ...s })).sort((a, b) => a.site_id.localeCompare(b.site_id)),
  };
}

async function actual() {
  const stats = await h.database.sql`select tenant_id, sites_provisioning::int as prov, sites_active::int as active,
      sites_failed::int as failed, backups_completed::int as completed, backups_failed::int as bfailed,
      backup_bytes::float8 as bytes, (extract(epoch from last_backup_at) * 1000)::float8 as last
    from tenant_stats order by tenant_id`;
  const sites = await h.database.sql`select site_id::text, tenant_id, state from tenant_sites order by site_id`;
  return { stats: [...stats], sites: [...sites] };
}

async function corrupt(): Promise<void> {
  await h.database.sql`update tenant_stats set sites_active = sites_active + 5, backup_bytes = 1`;
  await h.database.sql`delete from tenant_sites where state = 'failed'`;
  await h.database.sql`update tenant_sites set state = 'active' where state = 'deleted'`;
  expect(await actual()).not.toEqual(expected());
}

const status = () =>
  requestOperation(h.nc, h.space, ops.status, { projection: 'tenant-stats' }) as Promise<ProjectionStatus>;
const settled = async () => {
  const s = await status();
  return `${s.rebuild?.state} ${s.live?.pending}`;
};

/** Sites left mid-way (created only, or active) whose later events come while the rebuild runs. */
const unfinished: { tenant: string; events: AnyEvent[] }[] = [];

describe('tenant-stats projection rebuild', () => {
  it('rebuilds from the start while new events are handled live: the statistics equal the events', async () => {
    const lives: AnyEvent[][] = [];
    for (let i = 0; i < 150; i += 1) {
      const tenant = TENANTS[i % TENANTS.length] as string;
      const site = siteEvents(tenant, { fails: i % 7 === 0, deleted: i % 5 === 0 });
      if (i % 4 === 1) {
        // Only created for now; provisioned and deleted later, during the rebuild.
        lives.push(site.events.slice(0, 1));
        unfinished.push({ tenant, events: [...site.events.slice(1), ...siteEvents(tenant, { deleted: true }).events] });
      } else lives.push(site.events);
      if (i % 3 === 0)
        lives.push([backupCompleted(tenant, site.siteId, 1000 + i, at(i)), backupFailed(tenant, site.siteId)]);
    }
    await publish(lives);
    await expect.poll(async () => (await status()).live?.pending, { timeout: 15_000 }).toBe(0);
    await expect.poll(actual, { timeout: 5_000 }).toEqual(expected());
    await corrupt();

    const started = await requestOperation(h.nc, h.space, ops.rebuild, { projection: 'tenant-stats' });
    expect(started.rebuild).toMatchObject({ state: 'running', total: published.length, target: published.length });
    const live: AnyEvent[][] = unfinished.map((u) => u.events);
    for (let i = 0; i < 90; i += 1) {
      const tenant = TENANTS[i % TENANTS.length] as string;
      const site = siteEvents(tenant, { fails: i % 6 === 0 });
      live.push([...site.events, backupCompleted(tenant, site.siteId, 5000 + i, at(200 + i))]);
    }
    await publish(live);

    await expect.poll(settled, { timeout: 15_000 }).toBe('done 0');
    expect(await actual()).toEqual(expected());
    const done = (await status()).rebuild;
    expect(done).toMatchObject({ processed: done?.total, position: done?.target });
  });

  it('an interrupted rebuild refuses a second one, stops mid-way, resumes where it stopped and ends equal', async () => {
    await corrupt();
    gate.closeAfter(150);
    const started = await requestOperation(h.nc, h.space, ops.rebuild, { projection: 'tenant-stats' });
    expect(started.rebuild?.state).toBe('running');
    await expect.poll(async () => (await status()).rebuild?.position, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect(
      requestOperation(h.nc, h.space, ops.rebuild, { projection: 'tenant-stats', dryRun: true }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });

    const stopping = h.service.rebuilder.stop();
    gate.open();
    await stopping;
    const stopped = (await status()).rebuild;
    expect(stopped?.state).toBe('running');
    expect(stopped?.position).toBeGreaterThan(0);
    expect(stopped?.position).toBeLessThan(stopped?.target ?? 0);

    await h.service.rebuilder.resume();
    await expect.poll(settled, { timeout: 15_000 }).toBe('done 0');
    expect(await actual()).toEqual(expected());
    expect((await status()).rebuild).toMatchObject({ id: started.rebuild?.id, processed: stopped?.total });
  });

  it('knows no other projection', async () => {
    await expect(requestOperation(h.nc, h.space, ops.status, { projection: 'audit-log' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
