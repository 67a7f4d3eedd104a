import { sql } from 'drizzle-orm';
import type { AnyEvent, SubjectSpace } from '@chom/contracts';
import { changeManyWithEvents, type KeyedEvents } from '@chom/db';
import { batched, batchedChange } from './batched.js';
import type { Db } from './queries.js';

export interface FreshClaim {
  siteId: string;
  tenantId: string;
  at: Date;
}

export interface Activation {
  siteId: string;
  at: Date;
  sslExpiresAt: Date;
}

interface PendingActivation extends KeyedEvents {
  activation: Activation;
}

/**
 * The usual first try of a provisioning: a site of this tenant still `provisioning` without a
 * server gets a unit of the least loaded server with room that is not locked. The claims of
 * concurrent provisionings go together (`groupCommit`). `undefined` when any of that does not
 * hold: the caller then takes the careful path (a transaction that tells the cases apart and
 * may wait on a locked server).
 */
export function claimFreshSite(db: Db, claim: FreshClaim): Promise<string | undefined> {
  const write = batched(db, 'claim', async (claims: FreshClaim[]) => {
    const claimed = await claimFreshSites(db, claims);
    return claims.map((c) => claimed.get(c.siteId));
  });
  return write(claim);
}

/**
 * Marks a site that is still `provisioning` active and writes its events to the outbox, in one
 * statement shared with concurrent activations; false when it is not provisioning any more
 * (deleted meanwhile), and then no event is written: the row lock of the update decides
 * against a concurrent delete.
 */
export function markSiteActive(
  db: Db,
  space: Pick<SubjectSpace, 'events'>,
  activation: Activation,
  events: readonly AnyEvent[],
): Promise<boolean> {
  const activate = batchedChange(db, `activate ${space.events}`, 'UPDATE', (batch: PendingActivation[]) =>
    markSitesActive(db, space, batch),
  );
  return activate({ key: activation.siteId, activation, events });
}

/**
 * Gives every site of the batch still fresh (this tenant's, `provisioning`, no server) a unit
 * of one server: the least loaded that has room for all of them and is not locked. Returns
 * site id -> server id; empty when no such server (each caller then takes the careful path).
 * Sites are probed by primary key (`= ANY(ARRAY(...))`): joined to the JSON rows alone, the
 * plan follows the table's statistics, which lag a fast-growing table by up to a minute, and
 * scanned every site on every claim.
 */
export async function claimFreshSites(db: Db, claims: readonly FreshClaim[]): Promise<Map<string, string>> {
  const requests = JSON.stringify(claims.map((c) => ({ site_id: c.siteId, tenant_id: c.tenantId, at: c.at })));
  const rows = await db.execute<{ site_id: string; vps_id: string }>(sql`
    WITH req AS (
      SELECT DISTINCT ON (site_id) site_id, tenant_id, at
      FROM json_to_recordset(${requests}::json) AS r(site_id uuid, tenant_id text, at timestamptz)
    ),
    site AS (
      SELECT s.id, req.at FROM sites s JOIN req ON req.site_id = s.id AND req.tenant_id = s.tenant_id
      WHERE s.id = ANY(ARRAY(SELECT site_id FROM req)) AND s.status = 'provisioning' AND s.vps_id IS NULL
      ORDER BY s.id
      FOR UPDATE OF s
    ),
    unit AS (
      UPDATE vps_servers SET allocated = allocated + (SELECT count(*) FROM site), updated_at = now()
      WHERE id = (
        SELECT id FROM vps_servers
        WHERE active AND capacity - allocated >= (SELECT count(*) FROM site) AND EXISTS (SELECT 1 FROM site)
        ORDER BY allocated::float / capacity, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      )
      RETURNING id
    )
    UPDATE sites SET vps_id = unit.id, updated_at = site.at
    FROM unit, site WHERE sites.id = site.id
    RETURNING sites.id::text AS site_id, unit.id AS vps_id`);
  return new Map(rows.map((row) => [row.site_id, row.vps_id]));
}

/** Activates the sites still `provisioning`, with the events of those activated; returns their ids. */
export async function markSitesActive(
  db: Db,
  space: Pick<SubjectSpace, 'events'>,
  batch: readonly PendingActivation[],
): Promise<Set<string>> {
  const rows = JSON.stringify(
    batch.map(({ activation: a }) => ({ id: a.siteId, at: a.at, ssl_expires_at: a.sslExpiresAt })),
  );
  // Probed by primary key, as in `claimFreshSites`.
  const update = sql`
    with v as (
      select * from json_to_recordset(${rows}::json) as v(id uuid, at timestamptz, ssl_expires_at timestamptz)
    )
    update sites set status = 'active', provisioned_at = v.at, updated_at = v.at, failure_reason = null,
      ssl_expires_at = v.ssl_expires_at
    from v
    where sites.id = any(array(select id from v)) and sites.id = v.id and sites.status = 'provisioning'
    returning sites.id::text as key`;
  return changeManyWithEvents(db, space, update, batch);
}
