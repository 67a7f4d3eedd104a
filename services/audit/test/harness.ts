import { eventSubject, type AnyEvent, type SubjectSpace } from '@chom/contracts';
import { createDatabase, runMigrations, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';
import { connectNats } from '@chom/messaging';
import { createTestSpace } from '@chom/messaging/testing';
import { captureLogger } from '@chom/telemetry/testing';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { AuditListenerSettings } from '../src/config.js';
import { MIGRATIONS_FOLDER } from '../src/db/migrations.js';
import type { AuditDb } from '../src/db/queries.js';
import { startAudit, type RunningAudit } from '../src/start.js';

/** Millisecond retries, so a failing event reaches its last try within the test. */
export const FAST_LISTENER: AuditListenerSettings = {
  maxDeliver: 3,
  backoffMs: [20, 40],
  ackWaitMs: 5_000,
  concurrency: 2,
  batchSize: 20,
  maxAckPending: 200,
};

export interface AuditHarness {
  nc: NatsConnection;
  database: Database;
  space: SubjectSpace;
  audit: RunningAudit;
  lines: Record<string, unknown>[];
  publish(event: AnyEvent, msgId?: string): Promise<void>;
  publishRaw(subject: string, body: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The audit service as main.ts wires it, on a fresh database and a fresh stream and subject
 * space, both removed by `stop()`.
 */
export async function startHarness(
  name: string,
  options: { db?: (real: AuditDb) => AuditDb; listener?: Partial<AuditListenerSettings> } = {},
): Promise<AuditHarness> {
  const { logger, lines } = captureLogger('audit');
  const testDb: TestDatabase = await createTestDatabase(`audit_${name}`);
  const database = createDatabase({ url: testDb.url, max: 12, applicationName: `audit-${name}` });
  const nc = await connectNats(
    { servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', name: `audit-${name}` },
    logger,
  );
  const { space, cleanup } = createTestSpace();
  const js = jetstream(nc);
  let audit: RunningAudit | undefined;
  const stop = async () => {
    await audit?.stop();
    await cleanup(nc);
    await nc.drain();
    await database.close();
    await testDb.drop();
  };
  try {
    await runMigrations(database, MIGRATIONS_FOLDER);
    audit = await startAudit({
      nc,
      database,
      space,
      logger,
      listener: { ...FAST_LISTENER, ...options.listener },
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
    audit,
    lines,
    async publish(event, msgId = event.id) {
      await js.publish(eventSubject(space, event.tenantId, event.type), JSON.stringify(event), { msgID: msgId });
    },
    async publishRaw(subject, body) {
      await js.publish(subject, body);
    },
    stop,
  };
}
