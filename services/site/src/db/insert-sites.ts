import { sql } from 'drizzle-orm';
import { AppError, type AnyEvent, type Site, type SubjectSpace } from '@chom/contracts';
import { changeManyWithEvents, type KeyedEvents } from '@chom/db';
import { batchedChange } from './batched.js';
import { toSite, type Db, type NewSite } from './queries.js';

interface PendingSite extends KeyedEvents {
  site: NewSite;
}

/**
 * Records the site and writes its events to the outbox; throws `DOMAIN_TAKEN` when a live site
 * (of any tenant) already has the domain. The creations that arrive while a statement runs are
 * written together by the next (`batchedChange`), sites and outbox rows in one statement, so under
 * load one round trip and one commit serve many requests. Each call keeps its own statement
 * span, and its outbox row that span's trace context, so every request's trace stays whole.
 */
export async function insertSite(
  db: Db,
  space: Pick<SubjectSpace, 'events'>,
  site: NewSite,
  events: readonly AnyEvent[],
): Promise<Site> {
  const insert = batchedChange(db, `insert ${space.events}`, 'INSERT', (batch: PendingSite[]) =>
    insertSites(db, space, batch),
  );
  const inserted = await insert({ key: site.id, site, events });
  if (!inserted) throw new AppError('DOMAIN_TAKEN', `domain ${site.domain} is already taken`);
  const { at, ...values } = site;
  // Every column is the caller's: the row written is the row returned.
  return toSite({
    ...values,
    createdAt: at,
    updatedAt: at,
    vpsId: null,
    failureReason: null,
    provisionedAt: null,
    deletedAt: null,
    sslExpiresAt: null,
    sslExpiryNotifiedOn: null,
  });
}

/**
 * Inserts the sites, in the order given, with the outbox rows of those inserted; returns
 * their ids. A site whose domain a live site already has (also one earlier in the same batch)
 * is skipped by `ON CONFLICT DO NOTHING` on the live-domain index: its id is not returned, and
 * its events are not written. The primary key cannot conflict: ids are fresh UUID v7s.
 */
export async function insertSites(
  db: Db,
  space: Pick<SubjectSpace, 'events'>,
  batch: readonly PendingSite[],
): Promise<Set<string>> {
  const rows = JSON.stringify(
    batch.map(({ site }) => ({
      id: site.id,
      tenant_id: site.tenantId,
      domain: site.domain,
      site_type: site.siteType,
      status: site.status,
      at: site.at.toISOString(),
    })),
  );
  // Plain SQL rather than the insert builder: this runs on every creation, and the builder's
  // per-column work was a measurable share of the service's CPU.
  const change = sql`
    insert into sites (id, tenant_id, domain, site_type, status, created_at, updated_at)
    select v.id, v.tenant_id, v.domain, v.site_type, v.status, v.at, v.at
    from rows from (json_to_recordset(${rows}::json)
      as (id uuid, tenant_id text, domain text, site_type text, status text, at timestamptz)) with ordinality
      as v(id, tenant_id, domain, site_type, status, at, n)
    order by v.n
    on conflict do nothing
    returning id::text as key`;
  return changeManyWithEvents(db, space, change, batch);
}
