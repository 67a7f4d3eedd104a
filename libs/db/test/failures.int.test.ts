import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countFailures,
  createDatabase,
  listFailures,
  markProcessed,
  pgFailureStore,
  type Database,
  type FailureRecord,
} from '@chom/db';
import { applyLibSchema, createTestDatabase, type TestDatabase } from '@chom/db/testing';

let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase('db_failures');
  database = createDatabase({ url: testDb.url, applicationName: 'db-failures-test' });
  await applyLibSchema(database);
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

function failure(overrides: Partial<FailureRecord> = {}): FailureRecord {
  return {
    eventId: randomUUID(),
    eventType: 'site.created',
    streamSequence: 1,
    consumer: 'audit',
    tenantId: 't_1',
    payload: '{"not":"parsed"}',
    headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    errorCode: 'HANDLER_FAILED',
    errorMessage: 'db down',
    errorStack: 'Error: db down\n    at handler',
    attempts: [
      { at: '2025-01-01T00:00:00.000Z', error: 'db down' },
      { at: '2025-01-01T00:00:01.000Z', error: 'db down' },
    ],
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    ...overrides,
  };
}

describe('pgFailureStore', () => {
  it('keeps one row when the same delivery is recorded twice', async () => {
    const store = pgFailureStore(database.sql);
    const first = failure({ consumer: 'idem', streamSequence: 42 });
    await store.record(first);
    await store.record({ ...first, errorMessage: 'again' });
    const rows = await listFailures(database.sql, { consumer: 'idem', limit: 10 });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ...first, retryOf: null, status: 'failed', resolvedAt: null });
    expect(rows[0]!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('records concurrent duplicates once', async () => {
    const store = pgFailureStore(database.sql);
    const f = failure({ consumer: 'race', streamSequence: 7 });
    await Promise.all(Array.from({ length: 5 }, () => store.record(f)));
    expect(await countFailures(database.sql, { consumer: 'race' })).toBe(1);
  });

  it('keeps a failed retry apart from the failure it retried', async () => {
    const store = pgFailureStore(database.sql);
    await store.record(failure({ consumer: 'retry', streamSequence: 9 }));
    const [original] = await listFailures(database.sql, { consumer: 'retry', limit: 1 });
    await store.record(failure({ consumer: 'retry', streamSequence: 9, retryOf: original!.id }));
    await store.record(failure({ consumer: 'retry', streamSequence: 9, retryOf: original!.id }));
    const rows = await listFailures(database.sql, { consumer: 'retry', limit: 10 });
    expect(rows.map((r) => r.retryOf).sort()).toEqual([original!.id, null].sort());
  });

  it('keeps payloads that are not JSON and nulls for what could not be parsed', async () => {
    const store = pgFailureStore(database.sql);
    await store.record(
      failure({ consumer: 'garbage', eventId: 'not-a-uuid', eventType: null, tenantId: null, payload: '\u0000{oops' }),
    );
    const [row] = await listFailures(database.sql, { consumer: 'garbage', limit: 1 });
    expect(row).toMatchObject({ eventId: 'not-a-uuid', eventType: null, tenantId: null, payload: '\uFFFD{oops' });
  });
});

describe('listFailures and countFailures', () => {
  it('filters by consumer, status and tenant, newest first, with exact counts', async () => {
    const store = pgFailureStore(database.sql);
    for (let seq = 1; seq <= 3; seq++) await store.record(failure({ consumer: 'list', streamSequence: seq }));
    await store.record(failure({ consumer: 'list', streamSequence: 4, tenantId: 't_2' }));
    await database.sql`update processing_failures set status = 'resolved', resolved_at = now()
      where consumer = 'list' and stream_sequence = 1`;

    expect(await countFailures(database.sql, { consumer: 'list' })).toBe(4);
    expect(await countFailures(database.sql, { consumer: 'list', status: 'failed' })).toBe(3);
    expect(await countFailures(database.sql, { consumer: 'list', tenantId: 't_2' })).toBe(1);
    const page = await listFailures(database.sql, { consumer: 'list', status: 'failed', limit: 2 });
    expect(page.map((f) => f.streamSequence)).toEqual([4, 3]);
    const next = await listFailures(database.sql, { consumer: 'list', status: 'failed', limit: 2, offset: 2 });
    expect(next.map((f) => f.streamSequence)).toEqual([2]);
    const [resolved] = await listFailures(database.sql, { consumer: 'list', status: 'resolved', limit: 1 });
    expect(resolved?.resolvedAt).not.toBeNull();
  });
});

describe('markProcessed', () => {
  it('is true the first time per consumer and event, false after', async () => {
    const eventId = randomUUID();
    expect(await markProcessed(database.db, 'audit', eventId)).toBe(true);
    expect(await markProcessed(database.db, 'audit', eventId)).toBe(false);
    expect(await markProcessed(database.db, 'metrics', eventId)).toBe(true);
  });

  it('takes part in the caller transaction', async () => {
    const eventId = randomUUID();
    await expect(
      database.db.transaction(async (tx) => {
        expect(await markProcessed(tx, 'audit', eventId)).toBe(true);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await markProcessed(database.db, 'audit', eventId)).toBe(true);
  });
});
