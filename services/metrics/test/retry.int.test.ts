import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsDb } from '../src/db/queries.js';
import { siteEvents } from './fixtures.js';
import { startHarness, type MetricsHarness } from './harness.js';

// A transaction that fails after its writes reached the database: the retry must count the
// event once, in the registry and in the tenant statistics.
describe('metrics service under failing commits', () => {
  let h: MetricsHarness;
  const failNext = { count: 0 };

  beforeAll(async () => {
    h = await startHarness('retry', {
      db: (real) =>
        new Proxy(real, {
          get(target, property, receiver) {
            if (property !== 'transaction') return Reflect.get(target, property, receiver) as unknown;
            return async (run: (tx: unknown) => Promise<unknown>) =>
              target.transaction(async (tx) => {
                const result = await run(tx);
                if (failNext.count > 0) {
                  failNext.count -= 1;
                  throw new Error('connection lost before commit');
                }
                return result;
              });
          },
        }) as MetricsDb,
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('counts an event once after a rolled-back first try', async () => {
    failNext.count = 2; // one for each listener's first try
    const site = siteEvents('t_retry', { siteType: 'php' });
    await h.publish(site.events[0]!);
    await expect.poll(() => h.value('sites_created_total', { site_type: 'php' }), { timeout: 5_000 }).toBe(1);
    const retries = async () =>
      (await h.value('chom_events_consumed_total', { consumer: 'metrics', outcome: 'retry' })) +
      (await h.value('chom_events_consumed_total', { consumer: 'tenant-stats', outcome: 'retry' }));
    await expect.poll(retries).toBe(2);
    await expect
      .poll(
        async () =>
          (await h.database.sql`select sites_provisioning as n from tenant_stats where tenant_id = 't_retry'`)[0]?.n,
      )
      .toBe(1);
    await h.publish(site.events[0]!, randomUUID());
    await expect.poll(async () => h.service.listeners.get('metrics')!.stats().acked, { timeout: 5_000 }).toBe(2);
    expect(await h.value('sites_created_total', { site_type: 'php' })).toBe(1);
    expect(
      (await h.database.sql`select sites_provisioning as n from tenant_stats where tenant_id = 't_retry'`)[0]?.n,
    ).toBe(1);
    expect(failNext.count).toBe(0);
  });
});
