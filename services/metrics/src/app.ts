import { eventFilter, type AnyEvent, type ProjectionName, type SubjectSpace } from '@chom/contracts';
import type { Endpoint, ListenerSpec } from '@chom/messaging';
import type { ListenerSettings } from '@chom/config';
import type { Logger, Registry } from '@chom/telemetry';
import { createBusinessMetrics } from './business-metrics.js';
import type { MetricsDb } from './db/queries.js';
import { tenantStatsEndpoint } from './endpoints/tenant-stats.js';
import { countOverdueWaits, METRICS_LISTENER, recordMetrics } from './handlers/record-metrics.js';
import { TENANT_STATS_LISTENER, updateTenantStats } from './handlers/update-tenant-stats.js';

export { METRICS_LISTENER } from './handlers/record-metrics.js';
export { TENANT_STATS_LISTENER } from './handlers/update-tenant-stats.js';

export const SERVICE_NAME = 'metrics';
/** The tenant statistics as a rebuildable projection (`chom replay tenant-stats`): the tenant-stats listener's tables. */
export const TENANT_STATS_PROJECTION = 'tenant-stats' satisfies ProjectionName;
export const TENANT_STATS_TABLES = ['tenant_sites', 'tenant_stats'];

export interface MetricsDeps {
  db: MetricsDb;
  logger: Logger;
  /** Where the business metrics live: the registry the process serves on `/metrics`. */
  registry: Registry;
}

export interface MetricsListeners {
  metrics: ListenerSettings;
  tenantStats: ListenerSettings;
}

export interface AppListener {
  spec: ListenerSpec;
  /** Applies a batch of events (different aggregates, stream order) in one transaction. */
  handleBatch: (events: readonly AnyEvent[]) => Promise<void>;
}

export interface MetricsApp {
  endpoints: Endpoint[];
  listeners: AppListener[];
  /** Counts the site events that waited longer than `maxWaitMs` for their site's type; returns how many. */
  countOverdueWaits: (maxWaitMs: number) => Promise<number>;
}

/** Both listeners take every event of the space; each ignores the types it has nothing to do with. */
export function listenerSpecs(space: Pick<SubjectSpace, 'events'>, settings: MetricsListeners) {
  return {
    metrics: { name: METRICS_LISTENER, filterSubject: eventFilter(space), ...settings.metrics },
    tenantStats: { name: TENANT_STATS_LISTENER, filterSubject: eventFilter(space), ...settings.tenantStats },
  } satisfies Record<string, ListenerSpec>;
}

/** What the service does, apart from how it is connected and started. */
export function buildApp(
  deps: MetricsDeps,
  space: Pick<SubjectSpace, 'events'>,
  settings: MetricsListeners,
): MetricsApp {
  const metrics = createBusinessMetrics(deps.registry);
  const specs = listenerSpecs(space, settings);
  const recordDeps = { db: deps.db, metrics, logger: deps.logger };
  return {
    endpoints: [tenantStatsEndpoint(deps)],
    listeners: [
      { spec: specs.metrics, handleBatch: (events) => recordMetrics(events, recordDeps) },
      { spec: specs.tenantStats, handleBatch: (events) => updateTenantStats(events, deps) },
    ],
    countOverdueWaits: (maxWaitMs) => countOverdueWaits(recordDeps, maxWaitMs),
  };
}
