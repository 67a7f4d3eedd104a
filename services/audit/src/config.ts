import { z } from 'zod';
import {
  databaseEnv,
  databaseSettings,
  listenerEnv,
  listenerSettings,
  parseEnv,
  processEnv,
  processSettings,
  type DatabaseSettings,
  type ListenerSettings,
} from '@chom/config';

export { ConfigError } from '@chom/config';

const Env = z
  .object({
    ...processEnv({ opsPort: 9102 }),
    ...databaseEnv('chom_audit'),
    ...listenerEnv('AUDIT', {
      maxDeliver: 3,
      backoffMs: '60000',
      ackWaitMs: 30_000,
      // One batch at a time per replica, like the other batching listeners: the events that
      // arrive while a batch is written fill the next one.
      concurrency: 1,
      batchSize: 100,
      maxAckPending: 1_000,
    }),
  })
  .refine((env) => (env.AUDIT_MAX_ACK_PENDING ?? Infinity) >= env.AUDIT_CONCURRENCY, {
    message: 'must be at least AUDIT_CONCURRENCY',
    path: ['AUDIT_MAX_ACK_PENDING'],
  });

/** The audit listener's retry and flow settings (seed: 3 tries, 60 s apart). */
export type AuditListenerSettings = ListenerSettings;

export interface Config {
  database: DatabaseSettings;
  nats: ReturnType<typeof processSettings>['nats'];
  space: { stream: string; events: string; services: string };
  ops: { port: number; host: string };
  logLevel: string;
  listener: AuditListenerSettings;
}

/** Parses the environment once; every problem is named in one error. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const e = parseEnv(Env, env, 'the audit service');
  const { nats, space, ops, logLevel } = processSettings(e, 'audit');
  return {
    database: databaseSettings(e),
    nats,
    space,
    ops,
    logLevel,
    listener: listenerSettings(e, 'AUDIT'),
  };
}
