import type { AnyEvent } from '@chom/contracts';
import type { SiteStateRow, StatsDelta } from './db/queries.js';
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

const COUNTERS = [
  'sitesProvisioning',
  'sitesActive',
  'sitesFailed',
  'backupsCompleted',
  'backupsFailed',
  'backupBytes',
] as const;

/** `a` and `b` together: counters summed, `lastBackupAt` the later one. */
export function mergeDelta(a: StatsDelta, b: StatsDelta): StatsDelta {
  const merged: StatsDelta = {};
  for (const key of COUNTERS) {
    if (a[key] !== undefined || b[key] !== undefined) merged[key] = (a[key] ?? 0) + (b[key] ?? 0);
  }
  const later = [a.lastBackupAt, b.lastBackupAt]
    .filter((t): t is string => t !== undefined)
    .sort()
    .at(-1);
  if (later) merged.lastBackupAt = later;
  return merged;
}

export interface TenantStatsPlan {
  /** New states of the sites that moved, one row per site. */
  sites: SiteStateRow[];
  /** What to add to each tenant's counters. */
  deltas: Map<string, StatsDelta>;
}

/**
 * What a batch of events (in stream order, not applied before) does to the sites' states and
 * the tenants' counters, given the sites' known states. Pure: the handler reads and writes.
 */
export function planTenantStats(events: readonly AnyEvent[], known: ReadonlyMap<string, SiteState>): TenantStatsPlan {
  const states = new Map(known);
  const sites = new Map<string, SiteStateRow>();
  const deltas = new Map<string, StatsDelta>();
  const add = (tenantId: string, delta: StatsDelta) =>
    deltas.set(tenantId, mergeDelta(deltas.get(tenantId) ?? {}, delta));
  for (const event of events) {
    const backup = backupDelta(event);
    if (backup) {
      add(event.tenantId, backup);
      continue;
    }
    const target = siteTarget(event.type);
    if (!target) continue;
    const siteId = (event.data as { siteId: string }).siteId;
    const move = siteTransition(states.get(siteId), target);
    if (!move) continue;
    states.set(siteId, move.to);
    sites.set(siteId, { siteId, tenantId: event.tenantId, state: move.to });
    add(event.tenantId, move.delta);
  }
  return { sites: [...sites.values()], deltas };
}
