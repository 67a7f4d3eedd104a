import { z } from 'zod';
import {
  databaseEnv,
  databaseSettings,
  int,
  listenerEnv,
  listenerSettings,
  MillisList,
  optional,
  parseEnv,
  processEnv,
  processSettings,
  withDefault,
  type DatabaseSettings,
  type ListenerSettings,
} from '@chom/config';

export { ConfigError } from '@chom/config';

/** 32 bytes, as 64 hex digits or base64/base64url. */
const SecretKey = z.string().transform((value, ctx) => {
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) {
    ctx.addIssue({ code: 'custom', message: '32 bytes, as 64 hex digits or base64' });
    return z.NEVER;
  }
  return key;
});

const Env = z
  .object({
    ...processEnv({ opsPort: 9104 }),
    ...databaseEnv('chom_notification'),
    ...listenerEnv('NOTIFICATION', {
      maxDeliver: 3,
      backoffMs: '120000',
      ackWaitMs: 30_000,
      // One batch at a time: what arrives meanwhile fills the next (see the metrics listener);
      // the deliveries themselves run apart (DELIVERY_CONCURRENCY).
      concurrency: 1,
      batchSize: 50,
    }),
    DELIVERY_MAX_ATTEMPTS: withDefault(int(1, 100), 3),
    DELIVERY_BACKOFF_MS: withDefault(MillisList, '120000'),
    DELIVERY_POLL_MS: withDefault(int(10), 1000),
    DELIVERY_LEASE_MS: withDefault(int(1000), 60_000),
    DELIVERY_CONCURRENCY: withDefault(int(1, 256), 8),
    SMTP_URL: optional(z.url({ protocol: /^smtps?$/, error: 'an smtp:// or smtps:// URL' })),
    SMTP_FROM: withDefault(z.string().min(3), 'CHOM <no-reply@chom.local>'),
    EMAIL_ADDRESS_TEMPLATE: optional(z.string().min(3)),
    WEBHOOK_TIMEOUT_MS: withDefault(int(100, 120_000), 10_000),
    WEBHOOK_SECRET_KEY: optional(SecretKey),
    APP_URL: withDefault(z.url({ protocol: /^https?$/ }), 'http://127.0.0.1:8080'),
  })
  .refine((env) => !env.NATS_PASSWORD || env.NATS_USER, { path: ['NATS_USER'], message: 'required with NATS_PASSWORD' })
  .refine((env) => env.DELIVERY_LEASE_MS > env.WEBHOOK_TIMEOUT_MS + 1000, {
    path: ['DELIVERY_LEASE_MS'],
    message: 'must exceed WEBHOOK_TIMEOUT_MS by a second at least (a send must end before its lease does)',
  });

export interface DeliverySettings {
  maxAttempts: number;
  /** Delay before try n+1 after try n failed; the last entry repeats. */
  backoffMs: number[];
  pollIntervalMs: number;
  leaseMs: number;
  concurrency: number;
}

export interface EmailSettings {
  smtpUrl: string;
  from: string;
  /** `{userId}` / `{tenantId}` placeholders; unset: the user id when it is an address. */
  addressTemplate: string | undefined;
}

export interface Config {
  database: DatabaseSettings;
  nats: ReturnType<typeof processSettings>['nats'];
  space: { stream: string; events: string; services: string };
  ops: { port: number; host: string };
  logLevel: string;
  listener: ListenerSettings;
  delivery: DeliverySettings;
  /** Undefined: e-mail is off. */
  email: EmailSettings | undefined;
  webhook: { timeoutMs: number; secretKey: Buffer | undefined };
  appUrl: string;
}

/** Parses the environment once; every problem is named in one error. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const e = parseEnv(Env, env, 'the notification service');
  const { nats, space, ops, logLevel } = processSettings(e, 'notification');
  return {
    database: databaseSettings(e),
    nats,
    space,
    ops,
    logLevel,
    listener: listenerSettings(e, 'NOTIFICATION'),
    delivery: {
      maxAttempts: e.DELIVERY_MAX_ATTEMPTS,
      backoffMs: e.DELIVERY_BACKOFF_MS,
      pollIntervalMs: e.DELIVERY_POLL_MS,
      leaseMs: e.DELIVERY_LEASE_MS,
      concurrency: e.DELIVERY_CONCURRENCY,
    },
    email: e.SMTP_URL
      ? { smtpUrl: e.SMTP_URL, from: e.SMTP_FROM, addressTemplate: e.EMAIL_ADDRESS_TEMPLATE }
      : undefined,
    webhook: { timeoutMs: e.WEBHOOK_TIMEOUT_MS, secretKey: e.WEBHOOK_SECRET_KEY },
    appUrl: e.APP_URL.replace(/\/+$/, ''),
  };
}
