import { BackupFailed, createEvent, type AnyEvent, type BackupType, type EventContext } from '@chom/contracts';
import { enqueueEvents, type DbExecutor } from '@chom/db';
import { lockPendingBackupsOfSite, markBackupFailed } from '../db/queries.js';
import { applySiteFact, type SiteFact, type SiteFactEnvelope } from '../db/site-model.js';
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

/**
 * `backup-sites`: keeps the service's read model of sites. Idempotent and order-safe by the
 * stream sequence stored on each row. When a site is deleted, its backups that have not
 * started fail with 'Site deleted' in the same transaction (a running one fails when it
 * finishes; see `runBackup`).
 */
export async function trackSite(event: AnyEvent, sequence: number, deps: BackupDeps): Promise<TrackOutcome> {
  const fact = toSiteFact(event, sequence);
  if (!fact) return { outcome: 'ignored' };
  return deps.db.transaction(async (tx) => {
    const change = await applySiteFact(tx, fact);
    if (!change) return { outcome: 'ignored' } as const;
    let failedBackups = 0;
    // Only on the deletion itself: an older event filling in a deleted row deletes nothing again.
    if (change.after.status === 'deleted' && change.before?.status !== 'deleted') {
      const context: EventContext = {
        tenantId: event.tenantId,
        actor: event.actor,
        source: SOURCE,
        correlationId: event.correlationId,
        causationId: event.id,
      };
      const at = deps.now();
      const events = [];
      for (const backup of await lockPendingBackupsOfSite(tx, fact.fact.siteId)) {
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
      failedBackups = events.length;
    }
    return { outcome: 'applied', status: change.after.status, failedBackups } as const;
  });
}
