import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drizzle } from 'drizzle-orm/postgres-js';
import { sampleEvent } from '@chom/contracts/testing';
import { sql as drizzleSql } from 'drizzle-orm';
import {
  OUTBOX_CHANNEL,
  changeWithEvents,
  createDatabase,
  onOutboxCommitted,
  enqueueEvents,
  leaveOutboxLead,
  markOutbox,
  outbox,
  pendingOutbox,
  outboxBacklog,
  pruneOutbox,
  type Database,
} from '@chom/db';
import { applyLibSchema, createTestDatabase, type TestDatabase } from '@chom/db/testing';

const space = { events: 'events' };
let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase('db_outbox');
  database = createDatabase({ url: testDb.url, applicationName: 'db-outbox-test' });
  await applyLibSchema(database);
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

async function clearOutbox(): Promise<void> {
  await database.sql`truncate outbox`;
}

async function pendingIds(): Promise<string[]> {
  const rows = await database.sql<
    { id: string }[]
  >`select id::text as id from outbox where sent_at is null order by outbox.id`;
  return rows.map((r) => r.id);
}

class Rollback extends Error {}

describe('enqueueEvents', () => {
  it('writes nothing when the transaction rolls back', async () => {
    await clearOutbox();
    await expect(
      database.db.transaction(async (tx) => {
        await enqueueEvents(tx, space, [sampleEvent(), sampleEvent()]);
        throw new Rollback();
      }),
    ).rejects.toBeInstanceOf(Rollback);
    expect(await pendingIds()).toEqual([]);
  });

  it('writes rows in order and notifies the relay at commit', async () => {
    await clearOutbox();
    const notified: string[] = [];
    const listener = await database.sql.listen(OUTBOX_CHANNEL, (payload) => notified.push(payload));
    try {
      const events = [sampleEvent({ tenantId: 't_1' }), sampleEvent({ tenantId: 't_2' })];
      await database.db.transaction(async (tx) => {
        await enqueueEvents(tx, space, events, { traceparent: '00-abc-def-01' });
        expect(notified).toEqual([]);
      });
      await expect.poll(() => notified.length).toBeGreaterThan(0);
      const rows = await database.sql<{ event_id: string; subject: string; event: unknown; headers: unknown }[]>`
        select event_id::text, subject, event, headers from outbox order by outbox.id`;
      expect(rows).toEqual([
        {
          event_id: events[0]!.id,
          subject: 'events.t_1.site.created',
          event: events[0],
          headers: { traceparent: '00-abc-def-01' },
        },
        {
          event_id: events[1]!.id,
          subject: 'events.t_2.site.created',
          event: events[1],
          headers: { traceparent: '00-abc-def-01' },
        },
      ]);
    } finally {
      await listener.unlisten();
    }
  });

  it('accepts the transaction of a drizzle database declared with a schema', async () => {
    await clearOutbox();
    const typed = drizzle(database.sql, { schema: { outbox } });
    await typed.transaction((tx) => enqueueEvents(tx, space, [sampleEvent()]));
    expect(await pendingIds()).toHaveLength(1);
  });
});

describe('markOutbox', () => {
  it('marks the sent rows, bumps attempts and last_error on the failed ones and leaves them pending', async () => {
    await clearOutbox();
    await enqueueEvents(database.db, space, [sampleEvent(), sampleEvent()]);
    const [first, second] = await pendingIds();
    await markOutbox(database.sql, { sent: [first!], failed: [{ id: second!, error: 'nats down' }] });
    await markOutbox(database.sql, { sent: [], failed: [{ id: second!, error: 'still down' }] });
    const rows =
      await database.sql`select id::text as id, attempts, last_error, sent_at is null as pending from outbox order by outbox.id`;
    expect(rows).toEqual([
      { id: first, attempts: 0, last_error: null, pending: false },
      { id: second, attempts: 2, last_error: 'still down', pending: true },
    ]);
  });
});

describe('pendingOutbox', () => {
  it('reads pending rows in numeric id order only while its session leads', async () => {
    await database.sql`truncate outbox restart identity`;
    await enqueueEvents(
      database.db,
      space,
      Array.from({ length: 12 }, () => sampleEvent()),
    );
    const first = await database.sql.reserve();
    const second = await database.sql.reserve();
    try {
      const read = await pendingOutbox(first, 100);
      expect(read.lead && read.rows.map((r) => r.id)).toEqual([
        '1',
        '2',
        '3',
        '4',
        '5',
        '6',
        '7',
        '8',
        '9',
        '10',
        '11',
        '12',
      ]);
      expect(await pendingOutbox(second, 100)).toEqual({ lead: false });
      // Asking again in the leading session neither fails nor keeps the lock once it leaves.
      expect((await pendingOutbox(first, 2)).lead).toBe(true);
      await markOutbox(first, { sent: ['1', '2'], failed: [{ id: '3', error: 'nats down' }] });
      await leaveOutboxLead(first);
      const taken = await pendingOutbox(second, 2);
      expect(taken.lead && taken.rows.map((r) => [r.id, r.attempts])).toEqual([
        ['3', 1],
        ['4', 0],
      ]);
      expect(await pendingOutbox(first, 2)).toEqual({ lead: false });
    } finally {
      await leaveOutboxLead(first);
      await leaveOutboxLead(second);
      first.release();
      second.release();
    }
  });

  it('passes the lead on when the leading session ends', async () => {
    await clearOutbox();
    const other = createDatabase({ url: testDb.url, applicationName: 'db-outbox-leader', max: 1 });
    const conn = await database.sql.reserve();
    try {
      const leader = await other.sql.reserve();
      expect((await pendingOutbox(leader, 10)).lead).toBe(true);
      expect(await pendingOutbox(conn, 10)).toEqual({ lead: false });
      leader.release();
      await other.close();
      await expect.poll(async () => (await pendingOutbox(conn, 10)).lead).toBe(true);
    } finally {
      await leaveOutboxLead(conn);
      conn.release();
    }
  });
});

describe('pruneOutbox and outboxBacklog', () => {
  it('deletes only rows sent before the window', async () => {
    await clearOutbox();
    await enqueueEvents(database.db, space, [sampleEvent(), sampleEvent(), sampleEvent()]);
    const [old, recent, pending] = await pendingIds();
    await database.sql`update outbox set sent_at = now() - interval '2 hours' where id = ${old!}::bigint`;
    await database.sql`update outbox set sent_at = now() - interval '1 minute' where id = ${recent!}::bigint`;
    await database.sql`update outbox set created_at = now() - interval '3 hours' where id = ${pending!}::bigint`;
    expect(await pruneOutbox(database.sql, 60 * 60 * 1000)).toBe(1);
    const left = await database.sql<{ id: string }[]>`select id::text as id from outbox order by outbox.id`;
    expect(left.map((r) => r.id)).toEqual([recent, pending]);
    const backlog = await outboxBacklog(database.sql);
    expect(backlog.pending).toBe(1);
    expect(backlog.oldestAgeSeconds).toBeGreaterThan(3 * 3600 - 60);
  });

  it('reports an empty backlog as zero', async () => {
    await clearOutbox();
    expect(await outboxBacklog(database.sql)).toEqual({ pending: 0, oldestAgeSeconds: 0 });
  });
});

describe('changeWithEvents', () => {
  const mark = (eventId: string) =>
    drizzleSql`insert into processed_events (consumer, event_id) values ('cwe', ${eventId}::uuid)
      on conflict do nothing returning event_id`;

  it('writes the events with the change in one statement, only when the change returned a row', async () => {
    await clearOutbox();
    let woken = 0;
    const unsubscribe = onOutboxCommitted(database.sql, () => (woken += 1));
    const events = [sampleEvent(), sampleEvent()];
    const id = events[0]?.id as string;
    expect(await changeWithEvents(database.db, space, mark(id), events)).toBe(1);
    expect(await changeWithEvents(database.db, space, mark(id), [sampleEvent()])).toBe(0);
    unsubscribe();
    const rows = await database.sql<{ event_id: string }[]>`select event_id::text from outbox order by outbox.id`;
    expect(rows.map((r) => r.event_id)).toEqual(events.map((e) => e.id));
    expect(woken).toBe(1);
  });

  it('writes no event when the change fails', async () => {
    await clearOutbox();
    await expect(changeWithEvents(database.db, space, mark('not-a-uuid'), [sampleEvent()])).rejects.toThrow();
    expect(await pendingIds()).toEqual([]);
  });
});
