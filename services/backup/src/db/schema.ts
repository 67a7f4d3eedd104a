import { sql } from 'drizzle-orm';
import { bigint, check, doublePrecision, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// The shared pipeline tables live in this service's database too; re-exported so drizzle-kit
// generates them into this service's migrations.
export { outbox, processedEvents, processingFailures, projectionRebuilds } from '@chom/db';

// Millisecond precision: timestamps round-trip through JS `Date` and the list cursor unchanged.
const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * The columns of the site read model. Every value comes from a `site.*` event (times are the
 * events' `occurredAt`), so a model rebuilt from the stream equals the live one.
 */
function siteModelColumns() {
  return {
    siteId: uuid('site_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    domain: text('domain').notNull(),
    // Unknown when the stream no longer holds the site's `site.created`.
    siteType: text('site_type'),
    status: text('status').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    deletedAt: ts('deleted_at'),
    /** Stream sequence of the last event applied: older or repeated deliveries change nothing. */
    lastSequence: bigint('last_sequence', { mode: 'number' }).notNull(),
  };
}

export const SITE_MODEL_TABLE = 'sites';
/** Where `rebuild-sites` replays the stream into before comparing or swapping. */
export const SITE_REBUILD_TABLE = 'sites_rebuild';

export const sites = pgTable(SITE_MODEL_TABLE, siteModelColumns(), (t) => [
  check('sites_status_valid', sql`${t.status} IN ('provisioning', 'active', 'failed', 'deleted')`),
]);

export const sitesRebuild = pgTable(SITE_REBUILD_TABLE, siteModelColumns());

export type SiteModelTable = typeof sites | typeof sitesRebuild;

export const backups = pgTable(
  'backups',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    siteId: uuid('site_id').notNull(),
    backupType: text('backup_type').notNull(),
    status: text('status').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    durationSeconds: doublePrecision('duration_seconds'),
    /** Driver-specific location of the archive (the local driver: a path under its directory). */
    storageLocation: text('storage_location'),
    checksumSha256: text('checksum_sha256'),
    errorMessage: text('error_message'),
    /** How many times a runner has started this backup (more than 1 after a crash or a retry). */
    attempts: integer('attempts').notNull().default(0),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    startedAt: ts('started_at'),
    completedAt: ts('completed_at'),
    expiredAt: ts('expired_at'),
  },
  (t) => [
    index('backups_tenant_site_created_id_idx').on(t.tenantId, t.siteId, t.createdAt, t.id),
    index('backups_site_completed_idx')
      .on(t.siteId, t.completedAt)
      .where(sql`${t.status} = 'completed'`),
    check('backups_status_valid', sql`${t.status} IN ('pending', 'running', 'completed', 'failed', 'expired')`),
    check('backups_type_valid', sql`${t.backupType} IN ('full', 'database', 'files')`),
    check(
      'backups_completed_consistent',
      sql`${t.status} <> 'completed' OR (${t.checksumSha256} IS NOT NULL AND ${t.sizeBytes} IS NOT NULL AND ${t.storageLocation} IS NOT NULL)`,
    ),
  ],
);
