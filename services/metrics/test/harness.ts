import { eventSubject, type AnyEvent, type SubjectSpace } from '@chom/contracts';
import { createDatabase, runMigrations, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';
import { connectNats } from '@chom/messaging';
import { createTestSpace } from '@chom/messaging/testing';
import { createMetricsRegistry, type Registry } from '@chom/telemetry';
import { captureLogger } from '@chom/telemetry/testing';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { MetricsListeners } from '../src/app.js';
import { MIGRATIONS_FOLDER } from '../src/db/migrations.js';
import type { MetricsDb } from '../src/db/queries.js';
import { startMetrics, type RunningMetrics, type StartMetricsOptions } from '../src/start.js';

/** Millisecond retries, so a failing event reaches its last try within the test. */
const FAST = { maxDeliver: 3, backoffMs: [20, 40], ackWaitMs: 5_000, concurrency: 8, maxAckPending: 200 };
export const FAST_LISTENERS: MetricsListeners = { metrics: FAST, tenantStats: FAST };

export interface MetricsHarness {
  nc: NatsConnection;
  database: Database;
  space: SubjectSpace;
  service: RunningMetrics;
  registry: Registry;
  /** Publishes to the test stream; a different `msgId` makes the stream keep a second copy. */
  publish(event: AnyEvent, msgId?: string): Promise<void>;
  /** The value of one series of the service's registry (0 when absent). */
  value(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

/** The metrics service as main.ts wires it, on a fresh database and stream, both removed by `stop()`. */
export async function startHarness(
  name: string,
  options: { db?: (real: MetricsDb) => MetricsDb; processedMarks?: StartMetricsOptions['processedMarks'] } = {},
): Promise<MetricsHarness> {
  const { logger } = captureLogger('metrics');
  const testDb: TestDatabase = await createTestDatabase(`metrics_${name}`);
  const database = createDatabase({ url: testDb.url, max: 20, applicationName: `metrics-${name}` });
  const nc = await connectNats(
    { servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', name: `metrics-${name}` },
    logger,
  );
  const { space, cleanup } = createTestSpace();
  const registry = createMetricsRegistry('metrics', { defaultMetrics: false });
  const js = jetstream(nc);
  let service: RunningMetrics | undefined;
  const stop = async () => {
    await service?.stop();
    await cleanup(nc);
    await nc.drain();
    await database.close();
    await testDb.drop();
  };
  try {
    await runMigrations(database, MIGRATIONS_FOLDER);
    service = await startMetrics({
      nc,
      database,
      space,
      logger,
      registry,
      listeners: FAST_LISTENERS,
      processedMarks: options.processedMarks,
      ...(options.db ? { db: options.db(database.db) } : {}),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nc,
    database,
    space,
    service,
    registry,
    async publish(event, msgId = event.id) {
      await js.publish(eventSubject(space, event.tenantId, event.type), JSON.stringify(event), { msgID: msgId });
    },
    value: (metric, labels = {}) => seriesValue(registry, metric, labels),
    stop,
  };
}

/** The value of one series of `registry` (0 when absent); `_count`, `_sum` and `_bucket` name a histogram's series. */
export async function seriesValue(
  registry: Registry,
  metric: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const base = registry.getSingleMetric(metric) ?? registry.getSingleMetric(metric.replace(/_(count|sum|bucket)$/, ''));
  const found = (await base?.get())?.values ?? [];
  const match = found.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? metric) === metric &&
      Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
  );
  return match?.value ?? 0;
}
