import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyEvent } from '@chom/contracts';
import { allModelRows, findModelSite } from '../src/db/site-model.js';
import { trackSite } from '../src/handlers/track-site.js';
import { compareSiteModels, rebuildSiteModel, replaceLiveModel } from '../src/site-model/rebuild.js';
import { startHarness, type Harness } from './harness.js';
import { lifeOf } from './site-events.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('backup-sites read model', () => {
  it('follows site events, ignores repeats and older deliveries, and keeps deletion final', async () => {
    const [created, provisioned, deleted] = lifeOf('t_model', 'deleted', 'laravel') as [AnyEvent, AnyEvent, AnyEvent];
    const siteId = (created.data as { siteId: string }).siteId;
    expect(await trackSite(created, 10, h.deps)).toMatchObject({ outcome: 'applied', status: 'provisioning' });
    expect(await trackSite(created, 10, h.deps)).toEqual({ outcome: 'ignored' });
    expect(await trackSite(provisioned, 11, h.deps)).toMatchObject({ outcome: 'applied', status: 'active' });
    expect(await trackSite(created, 10, h.deps)).toEqual({ outcome: 'ignored' });
    expect(await trackSite(deleted, 12, h.deps)).toMatchObject({ outcome: 'applied', status: 'deleted' });
    expect(await trackSite(provisioned, 13, h.deps)).toEqual({ outcome: 'ignored' });
    const row = await findModelSite(h.database.db, 't_model', siteId);
    expect(row).toMatchObject({ status: 'deleted', siteType: 'laravel', lastSequence: 12 });
    expect(row?.deletedAt?.toISOString()).toBe(deleted.occurredAt);
    expect(await findModelSite(h.database.db, 't_other', siteId)).toBeUndefined();
  });

  it('rebuilt from the stream, equals the live model the listener built', async () => {
    const lives = [
      ...['created', 'active', 'failed', 'deleted', 'active', 'deleted'].map((until) =>
        lifeOf('t_rebuild_a', until as 'created'),
      ),
      ...['active', 'deleted'].map((until) => lifeOf('t_rebuild_b', until as 'created')),
    ];
    // Interleave the sites' events, as many writers would.
    for (let step = 0; step < 3; step++) {
      for (const life of lives) if (life[step]) await h.publish(life[step] as AnyEvent);
    }
    // Drop the rows the direct-call test above wrote (they were never on the stream).
    await h.database.sql`DELETE FROM sites WHERE tenant_id = 't_model'`;
    const expected = lives.map((life) => life.at(-1) as AnyEvent);
    // Wait for the listener to be through every event: every site's last event applied.
    await expect
      .poll(
        async () => {
          const rows = await allModelRows(h.database.db);
          return expected.every((e) =>
            rows.some(
              (r) => r.siteId === (e.data as { siteId: string }).siteId && r.updatedAt.toISOString() === e.occurredAt,
            ),
          );
        },
        { timeout: 10_000, interval: 20 },
      )
      .toBe(true);

    const result = await rebuildSiteModel({ js: h.js, db: h.database.db, space: h.space, logger: h.logger });
    expect(result.rows).toBe((await allModelRows(h.database.db)).length);
    expect(result.events).toBe(lives.flat().length);
    expect(await compareSiteModels(h.database.db)).toEqual([]);

    // A damaged live model is repaired by applying the rebuild.
    await h.database.sql`UPDATE sites SET status = 'active', deleted_at = NULL WHERE status = 'deleted'`;
    await h.database.sql`DELETE FROM sites WHERE status = 'failed'`;
    expect((await compareSiteModels(h.database.db)).length).toBeGreaterThan(0);
    await replaceLiveModel(h.database.db, result.lastSequence);
    expect(await compareSiteModels(h.database.db)).toEqual([]);
  });
});
