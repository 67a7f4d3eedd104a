import { sql } from 'drizzle-orm';
import { boolean, check, date, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// The shared pipeline tables live in this service's database too; re-exported so drizzle-kit
// generates them into this service's migrations.
export { outbox, processedEvents, processingFailures } from '@chom/db';

// Millisecond precision: timestamps round-trip through JS `Date` and the list cursor unchanged.
const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const vpsServers = pgTable(
  'vps_servers',
  {
    id: text('id').primaryKey(),
    hostname: text('hostname').notNull(),
    capacity: integer('capacity').notNull(),
    allocated: integer('allocated').notNull().default(0),
    active: boolean('active').notNull().default(true),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('vps_servers_allocated_within_capacity', sql`${t.allocated} >= 0 AND ${t.allocated} <= ${t.capacity}`),
    check('vps_servers_capacity_non_negative', sql`${t.capacity} >= 0`),
  ],
);

export const sites = pgTable(
  'sites',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    domain: text('domain').notNull(),
    siteType: text('site_type').notNull(),
    status: text('status').notNull(),
    // Set exactly while the site holds one unit of that server's capacity.
    vpsId: text('vps_id').references(() => vpsServers.id),
    failureReason: text('failure_reason'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    provisionedAt: ts('provisioned_at'),
    deletedAt: ts('deleted_at'),
    // Set when the (simulated) provisioner issues the certificate.
    sslExpiresAt: ts('ssl_expires_at'),
    // The UTC day of the last `site.ssl_expiring`: at most one per site per day, whichever replica checks.
    sslExpiryNotifiedOn: date('ssl_expiry_notified_on', { mode: 'string' }),
  },
  (t) => [
    uniqueIndex('sites_live_domain_key')
      .on(t.domain)
      .where(sql`${t.deletedAt} IS NULL`),
    index('sites_tenant_created_id_idx').on(t.tenantId, t.createdAt, t.id),
    index('sites_active_ssl_expires_idx')
      .on(t.sslExpiresAt)
      .where(sql`${t.status} = 'active'`),
    check('sites_status_valid', sql`${t.status} IN ('creating', 'provisioning', 'active', 'failed', 'deleted')`),
    check('sites_site_type_valid', sql`${t.siteType} IN ('wordpress', 'laravel', 'html', 'php')`),
    check('sites_deleted_consistent', sql`(${t.status} = 'deleted') = (${t.deletedAt} IS NOT NULL)`),
  ],
);
