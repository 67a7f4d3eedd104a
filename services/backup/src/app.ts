import { eventFilter, type AnyEvent, type SubjectSpace } from '@chom/contracts';
import type { BatchHandler, Endpoint, ListenerSpec } from '@chom/messaging';
import type { ListenerSettings } from '@chom/config';
import type { BackupDeps } from './deps.js';
import { createBackupEndpoint } from './endpoints/create-backup.js';
import { downloadBackupEndpoint, downloadChunkEndpoint } from './endpoints/download-backup.js';
import { getBackupEndpoint } from './endpoints/get-backup.js';
import { listBackupsEndpoint } from './endpoints/list-backups.js';
import { runBackup } from './handlers/run-backup.js';
import { trackSites } from './handlers/track-site.js';

export const BACKUP_RUNNER = 'backup-runner';
export const BACKUP_SITES = 'backup-sites';

/** The service's request/reply endpoints (`svc.backup.*`). */
export function buildEndpoints(deps: BackupDeps): Endpoint[] {
  return [
    createBackupEndpoint(deps),
    getBackupEndpoint(deps),
    listBackupsEndpoint(deps),
    downloadBackupEndpoint(deps),
    downloadChunkEndpoint(deps),
  ];
}

/** `backup-runner`: only ever receives `backup.created`. */
export function buildRunnerHandler(deps: BackupDeps): (event: AnyEvent) => Promise<void> {
  return async (event) => {
    if (event.type !== 'backup.created') return;
    const result = await runBackup(event, deps);
    deps.logger.info({ backupId: event.data.backupId, ...result }, 'backup-runner handled backup.created');
  };
}

/** `backup-sites`: `site.*` events in batches, applied to the read model by their stream sequences. */
export function buildSitesHandler(deps: BackupDeps): BatchHandler {
  return async (items) => {
    const outcomes = await trackSites(
      items.map(({ event, ctx }) => ({ event, sequence: ctx.streamSequence })),
      deps,
    );
    const applied = outcomes.filter((o) => o.outcome === 'applied').length;
    deps.logger.debug({ events: items.length, applied }, 'backup-sites handled a batch');
  };
}

export const acceptsBackupCreated = (type: string): boolean => type === 'backup.created';
export const acceptsSiteEvents = (type: string): boolean => type.startsWith('site.');

export function backupRunnerSpec(space: Pick<SubjectSpace, 'events'>, settings: ListenerSettings): ListenerSpec {
  return { name: BACKUP_RUNNER, filterSubject: eventFilter(space, 'backup.created'), ...settings };
}

export function backupSitesSpec(space: Pick<SubjectSpace, 'events'>, settings: ListenerSettings): ListenerSpec {
  return { name: BACKUP_SITES, filterSubject: eventFilter(space, 'site'), ...settings };
}
