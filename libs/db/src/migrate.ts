import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { AppError } from '@chom/contracts';
import type { Database } from './database.js';

/** This library's own migrations (the shared tables alone), for tests and tools. */
export const LIB_MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/** The advisory lock migrations hold; advisory locks are per database, so services never meet. */
export const MIGRATION_LOCK_KEY = '7236041185100114';

/**
 * Applies drizzle-kit migrations from `migrationsFolder`. A session advisory lock, held on
 * one reserved connection while drizzle migrates on another, serialises replicas that start
 * together: the second waits, then finds nothing left to do.
 */
export async function runMigrations(database: Database, migrationsFolder: string): Promise<void> {
  const max = database.sql.options.max;
  if (max < 2) throw new AppError('INTERNAL', `runMigrations needs a pool of at least 2 connections, got ${max}`);
  const lock = await database.sql.reserve();
  try {
    await lock`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
    try {
      await migrate(database.db, { migrationsFolder });
    } finally {
      await lock`select pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`;
    }
  } finally {
    lock.release();
  }
}
