import { randomBytes } from 'node:crypto';
import { eventSubject, type AnyEvent, type Operation, type SubjectSpace } from '@chom/contracts';
import { createDatabase, runMigrations, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';
import { connectNats, requestOperation } from '@chom/messaging';
import { createTestSpace } from '@chom/messaging/testing';
import { captureLogger } from '@chom/telemetry/testing';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { z } from 'zod';
import type { DeliverySettings } from '../src/config.js';
import { MIGRATIONS_FOLDER } from '../src/db/migrations.js';
import { startNotification, type RunningNotification } from '../src/start.js';

/** Millisecond retries and polls, so three tries fit in a test. */
export const FAST_DELIVERY: DeliverySettings = {
  maxAttempts: 3,
  backoffMs: [60, 120],
  pollIntervalMs: 20,
  leaseMs: 5_000,
  concurrency: 8,
};

export interface NotificationHarness {
  nc: NatsConnection;
  database: Database;
  space: SubjectSpace;
  service: RunningNotification;
  secretKey: Buffer;
  lines: Record<string, unknown>[];
  publish(event: AnyEvent, msgId?: string): Promise<void>;
  call<O extends Operation>(operation: O, request: z.input<O['request']>): Promise<z.output<O['response']>>;
  stop(): Promise<void>;
}

/** The service as main.ts wires it, on a fresh database and subject space, removed by `stop()`. */
export async function startHarness(
  name: string,
  options: { smtpUrl?: string; delivery?: Partial<DeliverySettings> } = {},
): Promise<NotificationHarness> {
  const { logger, lines } = captureLogger('notification');
  const testDb: TestDatabase = await createTestDatabase(`notification_${name}`);
  const database = createDatabase({ url: testDb.url, max: 20, applicationName: `notification-${name}` });
  const nc = await connectNats({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', name }, logger);
  const { space, cleanup } = createTestSpace();
  const js = jetstream(nc);
  const secretKey = randomBytes(32);
  let service: RunningNotification | undefined;
  const stop = async () => {
    await service?.stop();
    await cleanup(nc);
    await nc.drain();
    await database.close();
    await testDb.drop();
  };
  try {
    await runMigrations(database, MIGRATIONS_FOLDER);
    service = await startNotification({
      nc,
      database,
      space,
      logger,
      listener: { maxDeliver: 3, backoffMs: [20, 40], ackWaitMs: 5_000, concurrency: 8, maxAckPending: 200 },
      delivery: { ...FAST_DELIVERY, ...options.delivery },
      email: options.smtpUrl
        ? { smtpUrl: options.smtpUrl, from: 'CHOM <no-reply@chom.test>', addressTemplate: '{userId}@example.test' }
        : undefined,
      webhook: { timeoutMs: 2_000, secretKey },
      appUrl: 'https://panel.chom.test',
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
    secretKey,
    lines,
    async publish(event, msgId = event.id) {
      await js.publish(eventSubject(space, event.tenantId, event.type), JSON.stringify(event), { msgID: msgId });
    },
    call: (operation, request) => requestOperation(nc, space, operation, request),
    stop,
  };
}
