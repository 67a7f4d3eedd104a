import { z } from 'zod';
import {
  databaseEnv,
  databaseSettings,
  int,
  listenerEnv,
  listenerSettings,
  parseEnv,
  processEnv,
  processSettings,
  withDefault,
  type DatabaseSettings,
  type ListenerSettings,
} from '@chom/config';

export { ConfigError } from '@chom/config';

const DAY_MS = 24 * 60 * 60_000;
export const DEFAULT_SITE_TYPE_WAIT_MS = 5 * 60_000;
export const DEFAULT_PROCESSED_MARKS = { marginMs: 7 * DAY_MS, pruneIntervalMs: 60 * 60_000 };

const Env = z
  .object({
    ...processEnv({ opsPort: 9105 }),
    ...databaseEnv('chom_metrics'),
    // The seed records metrics synchronously, so it has no retry policy: a few quick tries,
    // since a counter that waits minutes for its event is a wrong figure meanwhile.
    ...listenerEnv('METRICS', {
      maxDeliver: 5,
      backoffMs: '1000,5000,15000,30000',
      ackWaitMs: 30_000,
      // One transaction at a time per replica, for up to a batch of events: the events that
      // arrive while it runs go together in the next (group commit), so under load one commit
      // counts many events. Four at a time, the batches stayed small: metrics CPU per site 1.61 ms
      // against 1.04 ms at one (bench, 3,000 sites, 2026-12-05).
      concurrency: 1,
      batchSize: 100,
    }),
    // How long a site event waits for its site's type (its site.created with another replica,
    // or retried) before it is counted as of an `unknown` type: longer than the listener's own
    // tries (51 s of backoff by default) take.
    METRICS_SITE_TYPE_WAIT_MS: withDefault(int(1), DEFAULT_SITE_TYPE_WAIT_MS),
    // Both listeners' processed-event marks are kept while their events may still be delivered:
    // the stream's age plus this margin, which covers the producers' sent-row retention (24 h).
    PROCESSED_EVENTS_MARGIN_MS: withDefault(int(0), DEFAULT_PROCESSED_MARKS.marginMs),
    PROCESSED_EVENTS_PRUNE_INTERVAL_MS: withDefault(int(1_000), DEFAULT_PROCESSED_MARKS.pruneIntervalMs),
    // Seed: UpdateTenantMetrics, 3 tries with 30 s backoff.
    ...listenerEnv('TENANT_STATS', {
      maxDeliver: 3,
      backoffMs: '30000',
      ackWaitMs: 30_000,
      concurrency: 1, // as METRICS
      batchSize: 100,
    }),
  })
  .refine((env) => !env.NATS_PASSWORD || env.NATS_USER, {
    path: ['NATS_USER'],
    message: 'required with NATS_PASSWORD',
  });

export interface Config {
  database: DatabaseSettings;
  nats: ReturnType<typeof processSettings>['nats'];
  space: { stream: string; events: string; services: string };
  ops: { port: number; host: string };
  logLevel: string;
  listeners: { metrics: ListenerSettings; tenantStats: ListenerSettings };
  /** `METRICS_SITE_TYPE_WAIT_MS`: how long a site event waits for its site's type. */
  siteTypeWaitMs: number;
  /** `PROCESSED_EVENTS_MARGIN_MS`, `PROCESSED_EVENTS_PRUNE_INTERVAL_MS`: see `pruneProcessedMarks` in `@chom/messaging`. */
  processedMarks: { marginMs: number; pruneIntervalMs: number };
}

/** Parses the environment once; every problem is named in one error. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const e = parseEnv(Env, env, 'the metrics service');
  const { nats, space, ops, logLevel } = processSettings(e, 'metrics');
  return {
    database: databaseSettings(e),
    nats,
    space,
    ops,
    logLevel,
    listeners: { metrics: listenerSettings(e, 'METRICS'), tenantStats: listenerSettings(e, 'TENANT_STATS') },
    siteTypeWaitMs: e.METRICS_SITE_TYPE_WAIT_MS,
    processedMarks: { marginMs: e.PROCESSED_EVENTS_MARGIN_MS, pruneIntervalMs: e.PROCESSED_EVENTS_PRUNE_INTERVAL_MS },
  };
}
