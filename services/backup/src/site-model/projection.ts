import { eventFilter, type ProjectionName, type SubjectSpace } from '@chom/contracts';
import { resetProjection, type Database, type DbExecutor } from '@chom/db';
import { createProjectionRebuilder, type ProjectionRebuilder } from '@chom/messaging';
import type { Logger } from '@chom/telemetry';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { BACKUP_SITES } from '../app.js';
import { SITE_MODEL_TABLE } from '../db/schema.js';
import { replaySiteEvent } from '../handlers/track-site.js';

/** The site read model as a rebuildable projection (`chom replay backup-sites`). */
export const BACKUP_SITES_PROJECTION = 'backup-sites' satisfies ProjectionName;

export interface SitesRebuilderOptions {
  sql: Database['sql'];
  db: DbExecutor;
  js: JetStreamClient;
  jsm: JetStreamManager;
  space: Pick<SubjectSpace, 'stream' | 'events'>;
  logger: Logger;
}

/**
 * Rebuilds `sites` from the stream's `site.*` events while the `backup-sites` listener runs.
 * Order-safe by the stream sequence on each row, so it needs no processed-event marks: a
 * replayed event older than the row fills in, a repeated one changes nothing. While a rebuild
 * from the start runs, sites it has not reached yet are unknown to the service.
 */
export function sitesRebuilder(options: SitesRebuilderOptions): ProjectionRebuilder {
  const { sql, db, space } = options;
  return createProjectionRebuilder({
    projection: BACKUP_SITES_PROJECTION,
    sql,
    js: options.js,
    jsm: options.jsm,
    space,
    consumer: BACKUP_SITES,
    filter: eventFilter(space, 'site'),
    handle: (event, seq) => replaySiteEvent(event, seq, db),
    reset: () => resetProjection(sql, { tables: [SITE_MODEL_TABLE] }),
    logger: options.logger,
  });
}
