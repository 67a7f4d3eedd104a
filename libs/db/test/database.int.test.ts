import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase, openSession, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';

let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase('db_database');
  // One connection: the statements below and the look at `pg_prepared_statements` share a session.
  database = createDatabase({ url: testDb.url, applicationName: 'db-database-test', max: 1 });
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

/** The texts of the named prepared statements of the session `run` queries on. */
async function preparedTexts(run: (query: string) => Promise<{ statement: string }[]>): Promise<string[]> {
  return (await run('select statement from pg_prepared_statements')).map((row) => row.statement);
}

it('plans each statement for its parameters in every session: pool, transaction and own session', async () => {
  const [pooled] = await database.sql<{ plan_cache_mode: string }[]>`show plan_cache_mode`;
  const [inTransaction] = await database.db.transaction((tx) =>
    tx.execute<{ plan_cache_mode: string }>(sql`show plan_cache_mode`),
  );
  const session = openSession(database.sql, 'plan-check');
  try {
    const [own] = await session<{ plan_cache_mode: string }[]>`show plan_cache_mode`;
    expect([pooled?.plan_cache_mode, inTransaction?.plan_cache_mode, own?.plan_cache_mode]).toEqual([
      'force_custom_plan',
      'force_custom_plan',
      'force_custom_plan',
    ]);
  } finally {
    await session.end({ timeout: 5 });
  }
});

it('lets Postgres choose generic plans where the service asks for it (DATABASE_PLAN_CACHE_MODE=auto)', async () => {
  const auto = createDatabase({ url: testDb.url, applicationName: 'db-database-auto', max: 1, planCacheMode: 'auto' });
  const session = openSession(auto.sql, 'plan-check');
  try {
    const [pooled] = await auto.sql<{ plan_cache_mode: string }[]>`show plan_cache_mode`;
    const [own] = await session<{ plan_cache_mode: string }[]>`show plan_cache_mode`;
    expect([pooled?.plan_cache_mode, own?.plan_cache_mode]).toEqual(['auto', 'auto']);
  } finally {
    await session.end({ timeout: 5 });
    await auto.close();
  }
});

it("runs drizzle's statements as prepared statements, in and out of transactions and savepoints", async () => {
  await database.db.execute(sql`select ${1}::int + 1 as pooled_marker`);
  const outside = await preparedTexts((query) => database.sql.unsafe(query));
  expect(outside.some((text) => text.includes('pooled_marker'))).toBe(true);

  const inside = await database.db.transaction(async (tx) => {
    await tx.execute(sql`select ${2}::int + 1 as transaction_marker`);
    await tx.transaction((inner) => inner.execute(sql`select ${3}::int + 1 as savepoint_marker`));
    return preparedTexts((query) => tx.execute<{ statement: string }>(sql.raw(query)));
  });
  expect(inside.some((text) => text.includes('transaction_marker'))).toBe(true);
  expect(inside.some((text) => text.includes('savepoint_marker'))).toBe(true);
});
