import { migrateDatabase } from '@chom/db';
import { createLogger } from '@chom/telemetry';
import { SERVICE_NAME } from '../app.js';
import { loadConfig } from '../config.js';
import { MIGRATIONS_FOLDER } from '../db/migrations.js';

// `node dist/bin/migrate.js`: creates the notification database if needed and applies its migrations.
let config;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
const logger = createLogger({ service: SERVICE_NAME, level: config.logLevel });
try {
  await migrateDatabase({
    url: config.database.url,
    service: SERVICE_NAME,
    migrationsFolder: MIGRATIONS_FOLDER,
    logger,
  });
} catch (error) {
  logger.fatal({ err: error }, 'notification migration failed');
  process.exitCode = 1;
}
