import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase, textArray, uuidArray, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';

let testDb: TestDatabase;
let database: Database;

const IDS = ['0190f1a2-0000-7000-8000-000000000001', '0190f1a2-0000-7000-8000-000000000002'];

beforeAll(async () => {
  testDb = await createTestDatabase('db_json_param');
  database = createDatabase({ url: testDb.url, applicationName: 'db-json-param-test', max: 1 });
  await database.sql`create table item (id uuid primary key, tenant_id text not null)`;
  await database.sql`insert into item values (${IDS[0]!}, 't_1'), (${IDS[1]!}, 't_2')`;
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

async function idsWhere(condition: ReturnType<typeof sql>): Promise<string[]> {
  const rows = await database.db.execute<{ id: string }>(sql`select id::text from item where ${condition} order by id`);
  return rows.map((row) => row.id);
}

it('matches any of the ids, for none, one or several, with one statement text', async () => {
  expect(await idsWhere(sql`id = any(${uuidArray([])})`)).toEqual([]);
  expect(await idsWhere(sql`id = any(${uuidArray([IDS[1]!])})`)).toEqual([IDS[1]]);
  expect(await idsWhere(sql`id = any(${uuidArray(new Set(IDS))})`)).toEqual(IDS);
  expect(await idsWhere(sql`tenant_id = any(${textArray(['t_2', 'nobody'])})`)).toEqual([IDS[1]]);
  const prepared = await database.sql<{ statement: string }[]>`select statement from pg_prepared_statements
    where statement like '%json_array_elements_text%' and statement not like '%pg_prepared_statements%'`;
  // Three counts of uuids share one prepared statement; the text keys are the second.
  expect(prepared).toHaveLength(2);
});

it('refuses a malformed uuid with the database error, not a partial match', async () => {
  await expect(idsWhere(sql`id = any(${uuidArray([IDS[0]!, 'not-a-uuid'])})`)).rejects.toThrow(/uuid/);
});
