import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { LIB_MIGRATIONS_FOLDER, createDatabase, ensureDatabase, runMigrations, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';

let testDb: TestDatabase;
const opened: Database[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase('db_migrations');
});

afterAll(async () => {
  await Promise.all(opened.map((d) => d.close()));
  await testDb?.drop();
});

function open(max?: number): Database {
  const database = createDatabase({ url: testDb.url, applicationName: 'db-migrations-test', ...(max ? { max } : {}) });
  opened.push(database);
  return database;
}

describe('runMigrations', () => {
  it('lets replicas that start together migrate at once, applying each migration once', async () => {
    const replicas = [open(), open(), open()];
    await Promise.all(replicas.map((d) => runMigrations(d, LIB_MIGRATIONS_FOLDER)));
    await runMigrations(replicas[0]!, LIB_MIGRATIONS_FOLDER);
    const applied = await replicas[0]!.sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
    const journal = JSON.parse(readFileSync(join(LIB_MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
      entries: unknown[];
    };
    expect(applied[0]?.n).toBe(journal.entries.length);
    const tables = await replicas[0]!.sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
    expect(tables.map((t) => t.table_name)).toEqual([
      'outbox',
      'processed_events',
      'processing_failures',
      'projection_rebuilds',
    ]);
  });

  it('refuses a pool too small to hold the lock and migrate', async () => {
    await expect(runMigrations(open(1), LIB_MIGRATIONS_FOLDER)).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

describe('ensureDatabase', () => {
  it('creates a missing database and accepts an existing one, concurrently', async () => {
    const url = new URL(testDb.url);
    const name = `${testDb.name}_ensure`;
    url.pathname = `/${name}`;
    try {
      await Promise.all([ensureDatabase(url.toString()), ensureDatabase(url.toString())]);
      await ensureDatabase(url.toString());
      const probe = postgres(url.toString(), { max: 1 });
      expect(await probe`select current_database() as db`).toEqual([{ db: name }]);
      await probe.end();
    } finally {
      const admin = postgres(testDb.url, { max: 1, onnotice: () => {} });
      await admin`drop database if exists ${admin(name)} with (force)`;
      await admin.end();
    }
  });
});
