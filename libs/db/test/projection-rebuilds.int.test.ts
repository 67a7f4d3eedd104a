import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkpointRebuild,
  claimRebuild,
  createDatabase,
  finishRebuild,
  insertRebuild,
  latestRebuild,
  planRebuild,
  resetProjection,
  type Database,
} from '@chom/db';
import type postgres from 'postgres';
import { applyLibSchema, createTestDatabase, type TestDatabase } from '@chom/db/testing';

let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase('db_rebuilds');
  database = createDatabase({ url: testDb.url, max: 8, applicationName: 'db-rebuilds-test' });
  await applyLibSchema(database);
  await database.sql`create table counts (tenant text primary key, n int not null)`;
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

/** A counter handler as the listeners write one: mark, then lock the row, then write it. */
async function handle(tx: postgres.Sql | postgres.TransactionSql, eventId: string): Promise<void> {
  const marked = await tx`insert into processed_events (consumer, event_id) values ('counter', ${eventId})
    on conflict do nothing returning event_id`;
  if (marked.length === 0) return;
  await tx`select n from counts where tenant = 't' for update`;
  await tx`insert into counts values ('t', 1) on conflict (tenant) do update set n = counts.n + 1`;
}

/** Lock requests waiting in this test's database. */
const waiting = async () =>
  Number(
    (
      await database.sql`select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where a.datname = current_database() and not l.granted`
    )[0]?.n,
  );
const count = async () => Number((await database.sql`select n from counts where tenant = 't'`)[0]?.n ?? 0);
const marks = async () =>
  Number((await database.sql`select count(*)::int as n from processed_events where consumer = 'counter'`)[0]?.n);

describe('resetProjection', () => {
  it('waits for a handler mid-transaction (its row locked) without a deadlock, then clears its row and mark', async () => {
    await handle(database.sql, randomUUID());
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked = () => {};
    const rowLocked = new Promise<void>((resolve) => (locked = resolve));
    const inFlight = database.sql.begin(async (tx) => {
      await tx`insert into processed_events (consumer, event_id) values ('counter', ${randomUUID()})`;
      await tx`select n from counts where tenant = 't' for update`;
      locked();
      await held;
      await tx`update counts set n = n + 1 where tenant = 't'`;
    });
    await rowLocked;
    const reset = resetProjection(database.sql, { tables: ['counts'], consumer: 'counter' });
    // The reset queues behind the handler; the handler's write is not blocked by it.
    await expect.poll(waiting).toBeGreaterThan(0);
    release();
    await inFlight;
    await reset;
    expect(await count()).toBe(0);
    expect(await marks()).toBe(0);
  });

  it('holds back a handler that starts during the reset: its write lands after, with its mark', async () => {
    await handle(database.sql, randomUUID());
    const blocker = await database.sql.reserve();
    try {
      // Keep the reset waiting on its first lock, so a handler can start while it is under way.
      await blocker`begin`;
      await blocker`insert into processed_events (consumer, event_id) values ('other', ${randomUUID()})`;
      const reset = resetProjection(database.sql, { tables: ['counts'], consumer: 'counter' });
      await expect.poll(waiting).toBe(1);
      const late = database.sql.begin((tx) => handle(tx, randomUUID()));
      await expect.poll(waiting).toBe(2);
      await blocker`commit`;
      await Promise.all([reset, late]);
    } finally {
      blocker.release();
    }
    expect(await count()).toBe(1);
    expect(await marks()).toBe(1);
  });
});

describe('projection_rebuilds', () => {
  it('records a rebuild from start to finish, and keeps the running one findable behind a later dry run', async () => {
    const id = await insertRebuild(database.sql, {
      projection: 'p',
      from: { kind: 'start' },
      dryRun: false,
      target: 0,
      total: 0,
    });
    await planRebuild(database.sql, id, { target: 40, total: 30 });
    await checkpointRebuild(database.sql, id, 20, 15);
    await checkpointRebuild(database.sql, id, 40, 15);
    await insertRebuild(database.sql, {
      projection: 'p',
      from: { kind: 'seq', seq: 5 },
      dryRun: true,
      target: 40,
      total: 9,
    });
    expect(await latestRebuild(database.sql, 'p')).toMatchObject({ dryRun: true, state: 'done', total: 9 });
    expect(await latestRebuild(database.sql, 'p', { running: true })).toMatchObject({
      id,
      state: 'running',
      from: { kind: 'start' },
      target: 40,
      position: 40,
      processed: 30,
      finishedAt: null,
    });
    await finishRebuild(database.sql, id, 'done');
    await finishRebuild(database.sql, id, 'failed', 'too late: finished rows stay as they ended');
    expect(await latestRebuild(database.sql, 'p', { running: true })).toBeUndefined();
    expect(await latestRebuild(database.sql, 'other')).toBeUndefined();
  });

  it('lets one session at a time claim a projection', async () => {
    const first = await claimRebuild(database.sql, 'p');
    expect(first).toBeDefined();
    expect(await claimRebuild(database.sql, 'p')).toBeUndefined();
    const other = await claimRebuild(database.sql, 'q');
    expect(other).toBeDefined();
    await first?.release();
    const again = await claimRebuild(database.sql, 'p');
    expect(again).toBeDefined();
    await again?.release();
    await other?.release();
  });
});
