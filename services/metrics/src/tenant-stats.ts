import type { AnyEvent } from '@chom/contracts';
import type { StatsDelta } from './db/queries.js';
import type { SiteState } from './db/schema.js';

const TARGET: Partial<Record<AnyEvent['type'], SiteState>> = {
  'site.created': 'provisioning',
  'site.provisioned': 'active',
  'site.provisioning_failed': 'failed',
  'site.deleted': 'deleted',
};

type SiteCounter = 'sitesProvisioning' | 'sitesActive' | 'sitesFailed';

const COUNTER: Record<SiteState, SiteCounter | undefined> = {
  provisioning: 'sitesProvisioning',
  active: 'sitesActive',
  failed: 'sitesFailed',
  deleted: undefined,
};

/** The state a site event moves its site to; undefined for other events. */
export function siteTarget(type: string): SiteState | undefined {
  return TARGET[type as AnyEvent['type']];
}

/**
 * How a site moves from its known state (undefined: never seen) on an event, and what that
 * does to its tenant's counters: out of the counter of the state it leaves, into the one it
 * enters. Nothing moves a deleted site, and a late `site.created` does not move a site back.
 */
export function siteTransition(
  from: SiteState | undefined,
  to: SiteState,
): { to: SiteState; delta: StatsDelta } | undefined {
  if (from === to || from === 'deleted') return undefined;
  if (from !== undefined && to === 'provisioning') return undefined;
  const delta: StatsDelta = {};
  const leave = from === undefined ? undefined : COUNTER[from];
  const enter = COUNTER[to];
  if (leave) delta[leave] = -1;
  if (enter) delta[enter] = 1;
  return { to, delta };
}

/** What a backup event adds to its tenant's counters. */
export function backupDelta(event: AnyEvent): StatsDelta | undefined {
  if (event.type === 'backup.completed') {
    return { backupsCompleted: 1, backupBytes: event.data.sizeBytes, lastBackupAt: event.occurredAt };
  }
  if (event.type === 'backup.failed') return { backupsFailed: 1 };
  return undefined;
}
