import { uuidArray } from '@chom/db';
import { sql } from 'drizzle-orm';
import type { Db } from './queries.js';
import { sites } from './schema.js';

export interface ExpiringSite {
  id: string;
  tenantId: string;
  domain: string;
  sslExpiresAt: Date;
}

/**
 * Locks up to `limit` active sites whose certificate expires in `(now, horizon]` and that were
 * not warned about on `today` yet. SKIP LOCKED: a replica checking at the same time takes
 * other rows, and a row it locked is re-checked against `today` once it commits.
 */
export async function lockExpiringSites(
  db: Db,
  window: { now: Date; horizon: Date; today: string; limit: number },
): Promise<ExpiringSite[]> {
  const rows = await db.execute<{ id: string; tenant_id: string; domain: string; ssl_expires_at: string }>(sql`
    SELECT id, tenant_id, domain, ssl_expires_at FROM sites
    WHERE status = 'active'
      AND ssl_expires_at > ${window.now.toISOString()}::timestamptz
      AND ssl_expires_at <= ${window.horizon.toISOString()}::timestamptz
      AND (ssl_expiry_notified_on IS NULL OR ssl_expiry_notified_on < ${window.today}::date)
    ORDER BY ssl_expires_at, id
    LIMIT ${window.limit}
    FOR UPDATE SKIP LOCKED`);
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    domain: r.domain,
    sslExpiresAt: new Date(r.ssl_expires_at),
  }));
}

export async function markSslExpiryNotified(db: Db, siteIds: string[], today: string): Promise<void> {
  if (siteIds.length === 0) return;
  await db
    .update(sites)
    .set({ sslExpiryNotifiedOn: today })
    .where(sql`${sites.id} = any(${uuidArray(siteIds)})`);
}
