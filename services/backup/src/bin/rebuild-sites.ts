import { jetstream } from '@nats-io/jetstream';
import { createDatabase } from '@chom/db';
import { connectNats } from '@chom/messaging';
import { createLogger } from '@chom/telemetry';
import { ConfigError, loadConfig } from '../config.js';
import { compareSiteModels, rebuildSiteModel, replaceLiveModel } from '../site-model/rebuild.js';

/**
 * Rebuilds the site read model from the stream into `sites_rebuild` and reports how it differs
 * from the live `sites`; with `--apply`, the rebuilt model replaces the live one. Expects the
 * database migrated. Prints one JSON summary; exits 2 when the models differ and `--apply`
 * was not given.
 */
async function rebuild(): Promise<number> {
  const apply = process.argv.includes('--apply');
  const config = loadConfig();
  const name = `${config.service}-rebuild-sites`;
  const logger = createLogger({ service: name, level: config.logLevel });
  const database = createDatabase({
    url: config.database.url,
    applicationName: name,
    max: 2,
    planCacheMode: config.database.planCacheMode,
    logger,
  });
  const nc = await connectNats({ ...config.nats, name }, logger);
  try {
    const result = await rebuildSiteModel({ js: jetstream(nc), db: database.db, space: config.space, logger });
    const differences = await compareSiteModels(database.db);
    if (apply) await replaceLiveModel(database.db, result.lastSequence);
    console.log(JSON.stringify({ ...result, differences: differences.length, applied: apply }));
    return differences.length > 0 && !apply ? 2 : 0;
  } finally {
    await nc.drain();
    await database.close();
  }
}

rebuild().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
