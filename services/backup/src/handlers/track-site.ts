import { BackupFailed, createEvent, type AnyEvent, type BackupType, type EventContext } from '@chom/contracts';
import { enqueueEvents, type DbExecutor } from '@chom/db';
import { lockPendingBackupsOfSite, markBackupFailed, type Db } from '../db/queries.js';
import { applySiteFact, applySiteFacts, type SiteFact, type SiteFactEnvelope } from '../db/site-model.js';
import { SITE_DELETED, SOURCE, traceHeaders, type BackupDeps } from '../deps.js';

/** A `site.*` event as the read model sees it; `undefined` for any other event. */
export function toSiteFact(event: AnyEvent, sequence: number): SiteFactEnvelope | undefined {
  let fact: SiteFact;
  switch (event.type) {
    case 'site.created':
      fact = { type: event.type, siteId: event.data.siteId, domain: event.data.domain, siteType: event.data.siteType };
      break;
    case 'site.provisioned':
    case 'site.provisioning_failed':
    case 'site.deleted':
      fact = { type: event.type, siteId: event.data.siteId, domain: event.data.domain };
      break;
    default:
      return undefined;
  }
  return { tenantId: event.tenantId, occurredAt: new Date(event.occurredAt), sequence, fact };
}

/**
 * The read model's write alone, for a rebuild replaying the stream: what deleting a site did
 * to its backups happened when the event was live, and a replay must not publish again.
 */
export async function replaySiteEvent(event: AnyEvent, sequence: number, db: DbExecutor): Promise<void> {
  const fact = toSiteFact(event, sequence);
  if (fact) await db.transaction((tx) => applySiteFact(tx, fact));
}

export type TrackOutcome = { outcome: 'ignored' } | { outcome: 'applied'; status: string; failedBackups: number };

/** One `site.*` delivery: the event and its stream sequence. */
export interface SiteDelivery {
  event: AnyEvent;
  sequence: number;
}

/**
 * `backup-sites`: keeps the service's read model of sites, for a batch of deliveries (stream
 * order) in one transaction. Idempotent and order-safe by the stream sequence stored on each
 * row. When a site is deleted, its backups that have not started fail with 'Site deleted' in
 * the same transaction (a running one fails when it finishes; see `runBackup`).
 */
export async function trackSites(deliveries: readonly SiteDelivery[], deps: BackupDeps): Promise<TrackOutcome[]> {
  const facts = deliveries.flatMap(({ event, sequence }) => {
    const fact = toSiteFact(event, sequence);
    return fact ? [{ fact, event }] : [];
  });
  if (facts.length === 0) return deliveries.map(() => ({ outcome: 'ignored' }));
  return deps.db.transaction(async (tx) => {
    const changes = await applySiteFacts(
      tx,
      facts.map((f) => f.fact),
    );
    const outcomes = new Map<string, TrackOutcome>();
    for (const { before, after } of changes) {
      let failedBackups = 0;
      // Only on the deletion itself: an older event filling in a deleted row deletes nothing again.
      if (after.status === 'deleted' && before?.status !== 'deleted') {
        const deletion = facts.find((f) => f.fact.fact.siteId === after.siteId && f.event.type === 'site.deleted');
        if (deletion) failedBackups = await failPendingBackups(tx, deletion.event, after.siteId, deps);
      }
      outcomes.set(after.siteId, { outcome: 'applied', status: after.status, failedBackups });
    }
    return deliveries.map(({ event }) => {
      const siteId = (event.data as { siteId?: string }).siteId;
      return (siteId && outcomes.get(siteId)) || { outcome: 'ignored' };
    });
  });
}

/** {@link trackSites} for one delivery. */
export async function trackSite(event: AnyEvent, sequence: number, deps: BackupDeps): Promise<TrackOutcome> {
  const [outcome] = await trackSites([{ event, sequence }], deps);
  return outcome ?? { outcome: 'ignored' };
}

/** Fails the site's backups that have not started, with their `backup.failed` events. */
async function failPendingBackups(tx: Db, deletion: AnyEvent, siteId: string, deps: BackupDeps): Promise<number> {
  const context: EventContext = {
    tenantId: deletion.tenantId,
    actor: deletion.actor,
    source: SOURCE,
    correlationId: deletion.correlationId,
    causationId: deletion.id,
  };
  const at = deps.now();
  const events = [];
  for (const backup of await lockPendingBackupsOfSite(tx, siteId)) {
    await markBackupFailed(tx, backup.id, SITE_DELETED, at);
    const data = {
      backupId: backup.id,
      siteId: backup.siteId,
      backupType: backup.backupType as BackupType,
      errorMessage: SITE_DELETED,
    };
    events.push(createEvent(BackupFailed, context, data, at));
  }
  await enqueueEvents(tx, deps.space, events, traceHeaders());
  return events.length;
}
