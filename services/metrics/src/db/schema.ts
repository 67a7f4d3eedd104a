import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// Shared tables from @chom/db, re-exported so drizzle-kit generates them into this service's
// migrations. The metrics service publishes nothing, so it has no outbox.
export { processedEvents, processingFailures, projectionRebuilds } from '@chom/db';

export const SITE_STATES = ['provisioning', 'active', 'failed', 'deleted'] as const;
export type SiteState = (typeof SITE_STATES)[number];

/** A site event counted only once its site's type is known (see {@link metricSites}). */
export interface WaitingSiteEvent {
  type: string;
  durationSeconds?: number;
}

/**
 * The `metrics` listener's memory of each site's type, from `site.created`: the later site
 * events do not carry it, and the business metrics are labelled by it. Replicas share the
 * consumer, so another replica may take a site's `site.provisioned` while this one still
 * counts its `site.created`: such an event waits in `waiting` (the row's type still null) and
 * is counted by whichever replica records the type, or as `unknown` once it has waited too long.
 */
export const metricSites = pgTable(
  'metric_sites',
  {
    siteId: uuid('site_id').primaryKey(),
    siteType: text('site_type'),
    waiting: jsonb('waiting').$type<WaitingSiteEvent[]>(),
    waitingSince: timestamp('waiting_since', { withTimezone: true, mode: 'string' }),
  },
  (t) => [
    index('metric_sites_waiting_idx')
      .on(t.waitingSince)
      .where(sql`${t.waitingSince} is not null`),
  ],
);

/** The `tenant-stats` listener's state of each site, so an event moves it out of the right counter. */
export const tenantSites = pgTable(
  'tenant_sites',
  {
    siteId: uuid('site_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    state: text('state', { enum: SITE_STATES }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    index('tenant_sites_tenant_idx').on(t.tenantId, t.state),
    check('tenant_sites_state_check', sql`${t.state} in ('provisioning', 'active', 'failed', 'deleted')`),
  ],
);

/** Per-tenant statistics, one row per tenant, changed by events only. */
export const tenantStats = pgTable(
  'tenant_stats',
  {
    tenantId: text('tenant_id').primaryKey(),
    sitesProvisioning: integer('sites_provisioning').notNull().default(0),
    sitesActive: integer('sites_active').notNull().default(0),
    sitesFailed: integer('sites_failed').notNull().default(0),
    backupsCompleted: integer('backups_completed').notNull().default(0),
    backupsFailed: integer('backups_failed').notNull().default(0),
    backupBytes: bigint('backup_bytes', { mode: 'number' }).notNull().default(0),
    lastBackupAt: timestamp('last_backup_at', { withTimezone: true, precision: 3, mode: 'string' }),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    check(
      'tenant_stats_not_negative',
      sql`${t.sitesProvisioning} >= 0 and ${t.sitesActive} >= 0 and ${t.sitesFailed} >= 0
        and ${t.backupsCompleted} >= 0 and ${t.backupsFailed} >= 0 and ${t.backupBytes} >= 0`,
    ),
  ],
);

export type TenantStatsRow = typeof tenantStats.$inferSelect;
