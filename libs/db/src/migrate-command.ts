import type { Logger } from '@chom/telemetry';
import { createDatabase, ensureDatabase, type Database } from './database.js';
import { runMigrations } from './migrate.js';

export interface MigrateDatabaseOptions {
  url: string;
  /** The service whose database this is; names the connection and the log lines. */
  service: string;
  migrationsFolder: string;
  logger: Logger;
  /** Runs after the migrations on the same database, e.g. to seed reference rows. */
  afterMigrations?: (database: Database) => Promise<void>;
}

/**
 * What a service's `migrate` command does: creates the database if it is missing, applies the
 * migrations (safe with replicas starting at once) and closes the pool.
 */
export async function migrateDatabase(options: MigrateDatabaseOptions): Promise<void> {
  await ensureDatabase(options.url);
  const database = createDatabase({
    url: options.url,
    max: 2,
    applicationName: `${options.service}-migrate`,
    logger: options.logger,
  });
  try {
    await runMigrations(database, options.migrationsFolder);
    await options.afterMigrations?.(database);
  } finally {
    await database.close();
  }
  options.logger.info({ migrations: options.migrationsFolder }, `${options.service} database migrated`);
}
