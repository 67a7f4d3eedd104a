import {
  BackupCompleted,
  BackupFailed,
  createEvent,
  type BackupCreated,
  type BackupType,
  type EventContext,
} from '@chom/contracts';
import { enqueueEvents } from '@chom/db';
import {
  expireOldBackups,
  lockBackup,
  markBackupCompleted,
  markBackupFailed,
  markBackupRunning,
  type BackupRow,
  type Db,
} from '../db/queries.js';
import { findModelSite, type SiteModelRow } from '../db/site-model.js';
import { INSUFFICIENT_DISK_SPACE, SITE_DELETED, SOURCE, traceHeaders, type BackupDeps } from '../deps.js';
import type { StoredArchive } from '../storage/storage.js';

export type RunOutcome =
  | { outcome: 'skipped'; reason: 'backup_not_found' | 'already_finished' | 'superseded' }
  | { outcome: 'completed'; sizeBytes: number; durationSeconds: number; attempt: number; expired: number }
  | { outcome: 'failed'; reason: string };

type Claim = RunOutcome | { outcome: 'claimed'; backup: BackupRow; site: SiteModelRow };

const contextOf = (event: BackupCreated): EventContext => ({
  tenantId: event.tenantId,
  actor: event.actor,
  source: SOURCE,
  correlationId: event.correlationId,
  causationId: event.id,
});

/**
 * `backup-runner`: takes one backup from `pending` (or from `running`, when a runner died or
 * failed mid-way: it starts over) to `completed` or `failed`, with its event in the same
 * transaction as the state change. Safe to run again: a finished backup is left alone, the
 * archive is written under a temporary name and renamed into place, and only the run whose
 * attempt still owns the row may finish it. The runner keeps the JetStream lease meanwhile,
 * so a second runner only gets the backup after this one has died.
 */
export async function runBackup(event: BackupCreated, deps: BackupDeps): Promise<RunOutcome> {
  const context = contextOf(event);
  const claim = await deps.db.transaction(async (tx): Promise<Claim> => {
    const backup = await lockBackup(tx, event.data.backupId);
    if (!backup || backup.tenantId !== event.tenantId) return { outcome: 'skipped', reason: 'backup_not_found' };
    if (backup.status !== 'pending' && backup.status !== 'running') {
      return { outcome: 'skipped', reason: 'already_finished' };
    }
    const site = await findModelSite(tx, backup.tenantId, backup.siteId);
    if (!site || site.status === 'deleted') return fail(tx, deps, context, backup, SITE_DELETED);
    return { outcome: 'claimed', backup: await markBackupRunning(tx, backup.id, deps.now()), site };
  });
  if (claim.outcome !== 'claimed') return claim;
  const { backup, site } = claim;
  const started = deps.now().getTime();

  let archive: StoredArchive;
  try {
    if ((await deps.storage.freeBytes()) < deps.minFreeBytes)
      return await finishFailed(deps, context, backup, INSUFFICIENT_DISK_SPACE);
    archive = await deps.storage.write({
      backupId: backup.id,
      tenantId: backup.tenantId,
      siteId: backup.siteId,
      domain: site.domain,
      siteType: site.siteType,
      backupType: backup.backupType as BackupType,
      requestedAt: backup.createdAt,
    });
  } catch (error) {
    deps.logger.warn({ err: error, backupId: backup.id }, 'backup storage failed');
    const message = error instanceof Error && error.message ? error.message : 'Backup storage failed';
    return finishFailed(deps, context, backup, message);
  }

  const at = deps.now();
  const durationSeconds = Math.max(0, at.getTime() - started) / 1000;
  const result = await deps.db.transaction(async (tx) => {
    const current = await lockBackup(tx, backup.id);
    if (current?.status !== 'running' || current.attempts !== backup.attempts) {
      return { outcome: { outcome: 'skipped', reason: 'superseded' } as RunOutcome, remove: [] as string[] };
    }
    const liveSite = await findModelSite(tx, backup.tenantId, backup.siteId);
    if (!liveSite || liveSite.status === 'deleted') {
      return { outcome: await fail(tx, deps, context, current, SITE_DELETED), remove: [archive.location] };
    }
    await markBackupCompleted(tx, backup.id, { ...archive, durationSeconds, at });
    const data = {
      backupId: backup.id,
      siteId: backup.siteId,
      backupType: backup.backupType as BackupType,
      sizeBytes: archive.sizeBytes,
      durationSeconds,
    };
    await enqueueEvents(tx, deps.space, [createEvent(BackupCompleted, context, data, at)], traceHeaders());
    const expired = await expireOldBackups(tx, backup.siteId, deps.retentionCount, at);
    const outcome: RunOutcome = {
      outcome: 'completed',
      sizeBytes: archive.sizeBytes,
      durationSeconds,
      attempt: backup.attempts,
      expired: expired.length,
    };
    return { outcome, remove: expired };
  });
  await removeArchives(deps, result.remove);
  return result.outcome;
}

/** Fails a backup this run still owns (same attempt, still running). */
async function finishFailed(
  deps: BackupDeps,
  context: EventContext,
  backup: BackupRow,
  reason: string,
): Promise<RunOutcome> {
  return deps.db.transaction(async (tx) => {
    const current = await lockBackup(tx, backup.id);
    if (current?.status !== 'running' || current.attempts !== backup.attempts) {
      return { outcome: 'skipped', reason: 'superseded' } as const;
    }
    return fail(tx, deps, context, current, reason);
  });
}

async function fail(
  tx: Db,
  deps: BackupDeps,
  context: EventContext,
  backup: BackupRow,
  reason: string,
): Promise<RunOutcome> {
  const at = deps.now();
  const errorMessage = reason.slice(0, 2000) || 'Backup failed';
  await markBackupFailed(tx, backup.id, errorMessage, at);
  const data = {
    backupId: backup.id,
    siteId: backup.siteId,
    backupType: backup.backupType as BackupType,
    errorMessage,
  };
  await enqueueEvents(tx, deps.space, [createEvent(BackupFailed, context, data, at)], traceHeaders());
  return { outcome: 'failed', reason: errorMessage };
}

/** After the commit: an archive that fails to go is logged; its row already says it is gone. */
async function removeArchives(deps: BackupDeps, locations: string[]): Promise<void> {
  for (const location of locations) {
    try {
      await deps.storage.remove(location);
    } catch (error) {
      deps.logger.error({ err: error, location }, 'could not remove an expired archive');
    }
  }
}
