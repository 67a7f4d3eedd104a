import { connectNats } from '@chom/messaging';
import { createLogger, createMetricsRegistry, handleShutdown } from '@chom/telemetry';
import { jetstreamManager } from '@nats-io/jetstream';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { kvIdempotencyStore, openIdempotencyBucket } from './idempotency/store.js';

const SERVICE = 'gateway';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const logger = createLogger({ service: SERVICE, level: config.logLevel });
const registry = createMetricsRegistry(SERVICE);

const nc = await connectNats({ name: SERVICE, ...config.nats }, logger);
const jsm = await jetstreamManager(nc);
const kv = await openIdempotencyBucket(nc, config.idempotency.bucket, config.idempotency.ttlMs);
const idempotency = kvIdempotencyStore(kv, {
  bucket: config.idempotency.bucket,
  ttlMs: config.idempotency.ttlMs,
  // A claim outlives any request that could still be running on the gateway that made it.
  leaseMs: config.requestTimeoutMs * 2 + 10_000,
});

const app = buildApp({
  config,
  nc,
  jsm,
  space: { stream: config.eventsStream, events: config.eventsSubjectRoot, services: config.servicesSubjectRoot },
  idempotency,
  logger,
  registry,
});

handleShutdown(logger, [
  // close(): stops accepting, answers 503 to new requests, waits for those in flight.
  { name: 'http', run: () => app.close() },
  { name: 'nats', run: () => nc.drain() },
]);

await app.listen({ port: config.port, host: config.host });
