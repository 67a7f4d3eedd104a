import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type Database } from '../database.js';
import { LIB_MIGRATIONS_FOLDER, runMigrations } from '../migrate.js';

const DEFAULT_ADMIN_URL = 'postgres://root@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  /** Terminates every connection to the database and drops it. */
  drop(): Promise<void>;
}

/** A unique, valid database name: the prefix lower-cased to `[a-z0-9_]`, then random hex. */
export function testDatabaseName(prefix: string): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .slice(0, 40) || 'test';
  return `${clean}_${randomBytes(6).toString('hex')}`;
}

/**
 * Creates a fresh database for one test file on the local server (or
 * `TEST_DATABASE_ADMIN_URL`, a URL of the server's maintenance database).
 */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const name = testDatabaseName(prefix);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin`create database ${admin(name)}`;
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper`select pg_terminate_backend(pid) from pg_stat_activity
          where datname = ${name} and pid <> pg_backend_pid()`;
        await dropper`drop database if exists ${dropper(name)} with (force)`;
      } finally {
        await dropper.end({ timeout: 5 });
      }
    },
  };
}

/** Creates the library's shared tables (outbox, processed_events, processing_failures, projection_rebuilds). */
export async function applyLibSchema(database: Database): Promise<void> {
  await runMigrations(database, LIB_MIGRATIONS_FOLDER);
}
