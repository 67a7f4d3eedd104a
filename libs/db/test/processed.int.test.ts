import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '@chom/contracts';
import { createDatabase, markProcessedMany, pruneProcessedEvents, type Database } from '@chom/db';
import { applyLibSchema, createTestDatabase } from '@chom/db/testing';

let database: Database;

// One database for the file, dropped by the hook's returned teardown.
beforeAll(async () => {
  const testDb = await createTestDatabase('db_processed');
  database = createDatabase({ url: testDb.url, applicationName: 'db-processed-test' });
  await applyLibSchema(database);
  return async () => {
    await database.close();
    await testDb.drop();
  };
});

const DAY = 86_400_000;

/** Marks `n` events of `consumer` created `ageDays` ago, as processed `processedDaysAgo` ago. */
async function marks(consumer: string, n: number, ageDays: number, processedDaysAgo = ageDays): Promise<string[]> {
  const ids = Array.from({ length: n }, () => uuidv7(Date.now() - ageDays * DAY));
  await markProcessedMany(database.db, consumer, ids);
  await database.sql`update processed_events set processed_at = now() - make_interval(days => ${processedDaysAgo})
    where event_id = any(${ids}::uuid[])`;
  return ids;
}

const count = async (consumer: string) =>
  (await database.sql`select count(*)::int as n from processed_events where consumer = ${consumer}`)[0]?.n as number;

describe('pruneProcessedEvents', () => {
  it("deletes one consumer's marks made before the cutoff, in batches, and no other", async () => {
    const a = `a-${randomUUID()}`;
    const b = `b-${randomUUID()}`;
    await marks(a, 23, 40);
    const lateMarked = await marks(a, 3, 40, 1); // old events processed yesterday (a long outage)
    const recent = await marks(a, 4, 2);
    await marks(b, 5, 40);

    const pruned = await pruneProcessedEvents(database.sql, a, new Date(Date.now() - 30 * DAY), { batchSize: 10 });
    expect(pruned).toBe(23);
    expect(await count(a)).toBe(7);
    expect(await count(b)).toBe(5);
    const left = await database.sql<{ id: string }[]>`
      select event_id::text as id from processed_events where consumer = ${a} order by event_id`;
    expect(left.map((r) => r.id).sort()).toEqual([...lateMarked, ...recent].sort());
    // Nothing left to prune: a second pass deletes nothing.
    expect(await pruneProcessedEvents(database.sql, a, new Date(Date.now() - 30 * DAY), { batchSize: 10 })).toBe(0);
  });

  it('stops between batches once its signal aborts', async () => {
    const c = `c-${randomUUID()}`;
    await marks(c, 25, 40);
    const signal = AbortSignal.abort();
    expect(await pruneProcessedEvents(database.sql, c, new Date(), { batchSize: 10, signal })).toBe(10);
    expect(await count(c)).toBe(15);
  });
});
