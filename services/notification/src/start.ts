import type { SubjectSpace } from '@chom/contracts';
import { pgFailureStore, type Database } from '@chom/db';
import {
  ensureConsumer,
  ensureStream,
  eventStreamSpec,
  failureEndpoints,
  serveEndpoints,
  startListener,
  type EndpointServer,
  type Listener,
} from '@chom/messaging';
import type { Logger, Registry } from '@chom/telemetry';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { ListenerSettings } from '@chom/config';
import { acceptsNotified, buildEndpoints, buildHandler, notificationListenerSpec, SERVICE_NAME } from './app.js';
import type { DeliverySettings, EmailSettings } from './config.js';
import { smtpEmailSender } from './delivery/email.js';
import type { EmailSender, WebhookSender } from './delivery/senders.js';
import { httpWebhookSender } from './delivery/webhook.js';
import { startDeliveryWorker, type DeliveryWorker } from './delivery/worker.js';
import type { NotificationDeps } from './deps.js';

export interface StartNotificationOptions {
  nc: NatsConnection;
  database: Database;
  space: SubjectSpace;
  listener: ListenerSettings;
  delivery: DeliverySettings;
  email: EmailSettings | undefined;
  webhook: { timeoutMs: number; secretKey: Buffer | undefined };
  appUrl: string;
  logger: Logger;
  registry?: Registry;
  /** Replace the real senders (tests). */
  senders?: { email?: EmailSender; webhook?: WebhookSender };
}

export interface RunningNotification {
  listener: Listener;
  endpoints: EndpointServer;
  worker: DeliveryWorker;
  /** Drains the listener, then the endpoints, then lets the worker finish its sends. */
  stop(): Promise<void>;
}

/**
 * Ensures the stream and the `notification` consumer, then starts the listener, the
 * endpoints and the delivery worker. The database must be migrated and NATS connected.
 */
export async function startNotification(options: StartNotificationOptions): Promise<RunningNotification> {
  const { nc, database, space, logger } = options;
  const failures = pgFailureStore(database.sql);
  const email =
    options.senders?.email ?? (options.email ? smtpEmailSender(options.email, options.webhook.timeoutMs) : undefined);
  const worker = startDeliveryWorker({
    db: database.db,
    settings: options.delivery,
    email,
    webhook: options.senders?.webhook ?? httpWebhookSender(options.webhook.timeoutMs),
    secretKey: options.webhook.secretKey,
    failures,
    logger,
    registry: options.registry,
  });
  const deps: NotificationDeps = {
    db: database.db,
    logger,
    now: () => new Date(),
    appUrl: options.appUrl,
    maxAttempts: options.delivery.maxAttempts,
    email: options.email ? { addressTemplate: options.email.addressTemplate } : undefined,
    secretKey: options.webhook.secretKey,
    wake: () => worker.wake(),
  };
  const spec = notificationListenerSpec(space, options.listener);
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, eventStreamSpec(space), logger);
  await ensureConsumer(jsm, space.stream, spec, logger);
  const handleBatch = buildHandler(deps);
  const listener = await startListener({
    js: jetstream(nc),
    stream: space.stream,
    spec,
    handleBatch,
    accepts: acceptsNotified,
    failures,
    logger,
    ...(options.registry ? { registry: options.registry } : {}),
  });
  const failureOps = failureEndpoints({
    service: SERVICE_NAME,
    sql: database.sql,
    space,
    listeners: [
      { name: spec.name, handle: (event, ctx) => handleBatch([{ event, ctx }]) },
      // A channel's delivery that failed for good (`notification.email`, `notification.webhook.<id>`): sent again.
      {
        name: 'deliveries',
        matches: (consumer) => consumer.startsWith(`${SERVICE_NAME}.`),
        retry: async ({ payload }) => worker.retry((JSON.parse(payload) as { deliveryId: string }).deliveryId),
      },
    ],
    logger,
  });
  const endpoints = serveEndpoints(nc, space, [...buildEndpoints(deps), ...failureOps], logger);
  return {
    listener,
    endpoints,
    worker,
    async stop() {
      await listener.drain();
      await endpoints.drain();
      await worker.stop();
      email?.close();
    },
  };
}
