import { migrateDatabase } from '@chom/db';
import { createLogger } from '@chom/telemetry';
import { ConfigError, loadConfig } from '../config.js';
import { MIGRATIONS_FOLDER } from '../db/migrations.js';
import { seedVpsPool } from '../db/queries.js';

/** Creates the database if needed, applies the migrations and seeds the VPS pool, then exits. */
async function migrate(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: `${config.service}-migrate`, level: config.logLevel });
  await migrateDatabase({
    url: config.database.url,
    service: config.service,
    migrationsFolder: MIGRATIONS_FOLDER,
    logger,
    afterMigrations: (database) => database.db.transaction((tx) => seedVpsPool(tx, config.vpsPool)),
  });
}

migrate().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
