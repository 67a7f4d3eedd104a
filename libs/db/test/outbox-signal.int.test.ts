import { afterAll, beforeAll, expect, it } from 'vitest';
import { sampleEvent } from '@chom/contracts/testing';
import { OUTBOX_CHANNEL, createDatabase, enqueueEvents, onOutboxCommitted, type Database } from '@chom/db';
import { applyLibSchema, createTestDatabase, type TestDatabase } from '@chom/db/testing';

const space = { events: 'events' };
let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase('db_outbox_signal');
  database = createDatabase({ url: testDb.url, applicationName: 'db-outbox-signal-test' });
  await applyLibSchema(database);
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

async function countNotifications<T>(run: () => Promise<T>): Promise<() => number> {
  const listener = createDatabase({ url: testDb.url, applicationName: 'db-outbox-signal-listener' });
  let notified = 0;
  const listening = await listener.sql.listen(OUTBOX_CHANNEL, () => (notified += 1));
  await run();
  // A NOTIFY is delivered within milliseconds; give a missing one time to show up.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await listening.unlisten();
  await listener.close();
  return () => notified;
}

it('wakes this process after the commit, without a NOTIFY, and stays silent on rollback', async () => {
  const woken: number[] = [];
  const unsubscribe = onOutboxCommitted(database.sql, () => woken.push(Date.now()));
  try {
    const notified = await countNotifications(async () => {
      let committedAt = 0;
      await database.db.transaction(async (tx) => {
        await enqueueEvents(tx, space, [sampleEvent()], {});
        expect(woken).toHaveLength(0);
        committedAt = Date.now();
      });
      expect(woken).toHaveLength(1);
      expect(woken[0]).toBeGreaterThanOrEqual(committedAt);

      await expect(
        database.db.transaction(async (tx) => {
          await enqueueEvents(tx, space, [sampleEvent()], {});
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await database.db.transaction(async () => undefined);
    });
    expect(woken).toHaveLength(1);
    // The relay of this process publishes its rows: waking every relay would only cost claims.
    expect(notified()).toBe(0);
    const [row] = await database.sql<{ pending: number }[]>`select count(*)::int as pending from outbox`;
    expect(row?.pending).toBe(1);
  } finally {
    unsubscribe();
  }
});

it('notifies the relays of other processes when this one has none', async () => {
  const notified = await countNotifications(() =>
    database.db.transaction((tx) => enqueueEvents(tx, space, [sampleEvent()], {})),
  );
  expect(notified()).toBeGreaterThanOrEqual(1);
});
