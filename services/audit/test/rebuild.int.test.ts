import { projectionOps, type AnyEvent, type ProjectionStatus } from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import { requestOperation } from '@chom/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAuditEntry } from '../src/audit-entry.js';
import { startHarness, type AuditHarness } from './harness.js';

let h: AuditHarness;
const ops = projectionOps('audit');
const published: AnyEvent[] = [];

beforeAll(async () => {
  h = await startHarness('rebuild', { listener: { concurrency: 32, maxAckPending: 2_000 } });
});
afterAll(async () => {
  await h?.stop();
});

async function publishSites(n: number, tenants = ['t_r1', 't_r2', 't_r3']): Promise<void> {
  const events = Array.from({ length: n }, (_, i) => sampleEvent({ tenantId: tenants[i % tenants.length] }));
  published.push(...events);
  for (let i = 0; i < events.length; i += 100) await Promise.all(events.slice(i, i + 100).map((e) => h.publish(e)));
}

const rowCount = async () => Number((await h.database.sql`select count(*)::int as n from audit_logs`)[0]?.n);

/** The audit rows, without what is made at insert time (row id, recorded at). */
async function rows() {
  return h.database.sql`select event_id::text, action, tenant_id, actor_id, actor_type, resource_type, resource_id,
    severity, metadata, correlation_id, occurred_at from audit_logs order by event_id`;
}

/** What a never-rebuilt audit log holds: one row per published event, derived from the event. */
function expected() {
  return published
    .map((e) => ({ e, row: toAuditEntry(e) }))
    .map(({ e, row }) => ({
      event_id: e.id,
      action: row.action,
      tenant_id: row.tenantId,
      resource_id: row.resourceId,
    }))
    .sort((a, b) => a.event_id.localeCompare(b.event_id));
}

async function dropProjection(): Promise<void> {
  // The table refuses deletes (append-only): an operator drops it deliberately.
  await h.database.sql.begin(async (tx) => {
    await tx`alter table audit_logs disable trigger audit_logs_no_update_delete`;
    await tx`delete from audit_logs`;
    await tx`alter table audit_logs enable trigger audit_logs_no_update_delete`;
  });
}

const status = () =>
  requestOperation(h.nc, h.space, ops.status, { projection: 'audit-log' }) as Promise<ProjectionStatus>;

describe('audit projection rebuild', () => {
  it('dry run counts the events a rebuild would replay, and writes nothing', async () => {
    await publishSites(300);
    await expect.poll(rowCount, { timeout: 20_000 }).toBe(300);
    const dry = await requestOperation(h.nc, h.space, ops.rebuild, { projection: 'audit-log', dryRun: true });
    expect(dry.rebuild).toMatchObject({ state: 'done', dryRun: true, total: 300, processed: 0 });
    const fromSeq = await requestOperation(h.nc, h.space, ops.rebuild, {
      projection: 'audit-log',
      from: { kind: 'seq', seq: 201 },
      dryRun: true,
    });
    expect(fromSeq.rebuild?.total).toBe(100);
  });

  it('drops the projection and rebuilds it while 1,000 new sites are created: identical rows', async () => {
    await dropProjection();
    expect(await rowCount()).toBe(0);
    const started = await requestOperation(h.nc, h.space, ops.rebuild, { projection: 'audit-log' });
    expect(started.rebuild).toMatchObject({ state: 'running', total: 300 });
    await publishSites(1_000);
    await expect
      .poll(
        async () => {
          const s = await status();
          return `${s.rebuild?.state} ${s.live?.pending}`;
        },
        { timeout: 30_000 },
      )
      .toBe('done 0');
    await expect.poll(rowCount, { timeout: 10_000 }).toBe(1_300);
    const actual = (await rows()).map((r) => ({
      event_id: r.event_id as string,
      action: r.action as string,
      tenant_id: r.tenant_id as string,
      resource_id: r.resource_id as string,
    }));
    expect(actual).toEqual(expected());
    expect((await status()).rebuild).toMatchObject({ processed: 300, position: 300, target: 300 });
  });

  it('an interrupted rebuild resumes where it stopped', async () => {
    await dropProjection();
    await requestOperation(h.nc, h.space, ops.rebuild, { projection: 'audit-log' });
    await h.audit.rebuilder.stop();
    const stopped = await status();
    expect(stopped.rebuild?.state).toBe('running');
    await h.audit.rebuilder.resume();
    await expect.poll(async () => (await status()).rebuild?.state, { timeout: 30_000 }).toBe('done');
    expect(await rowCount()).toBe(1_300);
    const done = (await status()).rebuild;
    expect(done).toMatchObject({ position: 1_300, processed: 1_300, total: 1_300 });
  });
});
