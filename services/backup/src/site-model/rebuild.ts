import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { sql } from 'drizzle-orm';
import { eventFilter, parseEvent, type SubjectSpace } from '@chom/contracts';
import type { DbExecutor } from '@chom/db';
import type { Logger } from '@chom/telemetry';
import { allModelRows, applySiteFact, resetModelTable, type SiteModelRow } from '../db/site-model.js';
import { SITE_REBUILD_TABLE, sitesRebuild } from '../db/schema.js';
import { toSiteFact } from '../handlers/track-site.js';

export interface RebuildResult {
  /** `site.*` messages replayed. */
  events: number;
  /** Messages that were not a known event (skipped). */
  skipped: number;
  rows: number;
  /** Stream sequence of the last message replayed (0 when none). */
  lastSequence: number;
}

/**
 * Replays every `site.*` event from the start of the stream (an ordered, ephemeral consumer:
 * nothing of the live `backup-sites` consumer is touched) into the empty `sites_rebuild`
 * table, through the same rule the listener applies.
 */
export async function rebuildSiteModel(options: {
  js: JetStreamClient;
  db: DbExecutor;
  space: SubjectSpace;
  logger: Logger;
}): Promise<RebuildResult> {
  const { js, db, space, logger } = options;
  await resetModelTable(db, SITE_REBUILD_TABLE);
  const consumer = await js.consumers.get(space.stream, {
    filter_subjects: eventFilter(space, 'site'),
    deliver_policy: DeliverPolicy.All,
  });
  const result: RebuildResult = { events: 0, skipped: 0, rows: 0, lastSequence: 0 };
  if ((await consumer.info(true)).num_pending > 0) {
    const messages = await consumer.consume();
    for await (const msg of messages) {
      result.events += 1;
      result.lastSequence = msg.seq;
      try {
        const fact = toSiteFact(parseEvent(msg.json()), msg.seq);
        if (fact) await db.transaction((tx) => applySiteFact(tx, fact, sitesRebuild));
        else result.skipped += 1;
      } catch (error) {
        result.skipped += 1;
        logger.warn({ err: error, seq: msg.seq }, 'rebuild: skipped a message that is not a known site event');
      }
      if (msg.info.pending === 0) break;
    }
    await messages.close();
  }
  result.rows = (await allModelRows(db, sitesRebuild)).length;
  return result;
}

export interface ModelDifference {
  siteId: string;
  live: SiteModelRow | undefined;
  rebuilt: SiteModelRow | undefined;
}

/** Rows that differ between the live read model and the rebuilt one (empty: they are equal). */
export async function compareSiteModels(db: DbExecutor): Promise<ModelDifference[]> {
  const live = new Map((await allModelRows(db)).map((r) => [r.siteId, r]));
  const rebuilt = new Map((await allModelRows(db, sitesRebuild)).map((r) => [r.siteId, r]));
  const differences: ModelDifference[] = [];
  for (const siteId of new Set([...live.keys(), ...rebuilt.keys()])) {
    const a = live.get(siteId);
    const b = rebuilt.get(siteId);
    if (JSON.stringify(a) !== JSON.stringify(b)) differences.push({ siteId, live: a, rebuilt: b });
  }
  return differences;
}

/**
 * Makes the rebuilt model the live one. Safe while the listener runs: a live row the listener
 * has moved past the replay (higher sequence) is kept, and only rows the replay should have
 * seen are removed.
 */
export async function replaceLiveModel(db: DbExecutor, upToSequence: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`LOCK TABLE sites IN SHARE ROW EXCLUSIVE MODE`);
    await tx.execute(sql`
      INSERT INTO sites SELECT * FROM sites_rebuild
      ON CONFLICT (site_id) DO UPDATE SET
        tenant_id = EXCLUDED.tenant_id, domain = EXCLUDED.domain, site_type = EXCLUDED.site_type,
        status = EXCLUDED.status, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
        deleted_at = EXCLUDED.deleted_at, last_sequence = EXCLUDED.last_sequence
      WHERE sites.last_sequence <= EXCLUDED.last_sequence`);
    await tx.execute(sql`
      DELETE FROM sites s WHERE s.last_sequence <= ${upToSequence}
        AND NOT EXISTS (SELECT 1 FROM sites_rebuild r WHERE r.site_id = s.site_id)`);
  });
}
