import { z } from 'zod';
import type { SslSettings } from './deps.js';
import {
  databaseEnv,
  databaseSettings,
  int,
  listenerEnv,
  listenerSettings,
  OnOff,
  optional,
  parseEnv,
  processEnv,
  processSettings,
  withDefault,
  type DatabaseSettings,
  type ListenerSettings,
} from '@chom/config';

export { ConfigError } from '@chom/config';

/** One server of the VPS pool, as configured: `VPS_POOL="vps-1:50,vps-2:50"` (id:capacity). */
export interface VpsSpec {
  id: string;
  hostname: string;
  capacity: number;
}

const VpsPool = z.string().transform((value, ctx): VpsSpec[] => {
  const pool: VpsSpec[] = [];
  for (const entry of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127}):(\d{1,6})$/.exec(entry);
    if (!match?.[1] || !match[2]) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not <id>:<capacity>` });
      continue;
    }
    if (pool.some((v) => v.id === match[1]))
      ctx.addIssue({ code: 'custom', message: `server "${match[1]}" listed twice` });
    pool.push({ id: match[1], hostname: match[1], capacity: Number(match[2]) });
  }
  if (pool.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one server' });
  return pool;
});

const Pattern = z.string().transform((value, ctx) => {
  try {
    return new RegExp(value, 'i');
  } catch {
    ctx.addIssue({ code: 'custom', message: 'a valid regular expression' });
    return z.NEVER;
  }
});

const Env = z
  .object({
    ...processEnv({ opsPort: 9101 }),
    ...databaseEnv('chom_site'),
    // Provisioning waits on the servers, not on this process: many sites at a time per replica.
    // Their claims and completions share statements, so more at a time costs less per site:
    // 64 against 24 caught up with 5,000 creations at 297-345 sites/s against 218-239 (bench).
    ...listenerEnv('SITE_PROVISIONER', { maxDeliver: 3, backoffMs: '10000', ackWaitMs: 30_000, concurrency: 64 }),
    VPS_POOL: withDefault(VpsPool, 'vps-1:10,vps-2:10'),
    PROVISION_DURATION_MS: withDefault(int(0, 3_600_000), 300),
    PROVISION_FAILURE_RATE: withDefault(z.coerce.number().min(0).max(1), 0),
    PROVISION_FAIL_DOMAINS: optional(Pattern),
    OUTBOX_RELAY: withDefault(OnOff, 'on'),
    OUTBOX_POLL_MS: withDefault(int(10), 1000),
    OUTBOX_RETAIN_SENT_MS: withDefault(int(0), 24 * 60 * 60 * 1000),
    SSL_CERT_VALIDITY_DAYS: withDefault(int(1, 3650), 90),
    SSL_EXPIRY_WARN_DAYS: withDefault(int(0, 3650), 14),
    // 0: no scheduled check (the `site.checkSslExpiry` operation still runs it on demand).
    SSL_EXPIRY_CHECK_INTERVAL_MS: withDefault(int(0), 24 * 60 * 60 * 1000),
  })
  .refine((env) => !env.NATS_PASSWORD || env.NATS_USER, {
    path: ['NATS_USER'],
    message: 'required with NATS_PASSWORD',
  });

export interface Config {
  service: 'site';
  database: DatabaseSettings;
  nats: ReturnType<typeof processSettings>['nats'];
  space: { stream: string; events: string; services: string };
  ops: { host: string; port: number };
  logLevel: string;
  vpsPool: VpsSpec[];
  provisioner: { durationMs: number; failureRate: number; failDomains: RegExp | undefined };
  siteProvisioner: ListenerSettings;
  outbox: { relay: boolean; pollIntervalMs: number; retainSentMs: number };
  ssl: SslSettings & { checkIntervalMs: number };
}

/** Parses the environment once; throws `ConfigError` naming each missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const e = parseEnv(Env, env, 'the site service');
  const { nats, space, ops, logLevel } = processSettings(e, 'site');
  const listener = listenerSettings(e, 'SITE_PROVISIONER');
  return {
    service: 'site',
    database: databaseSettings(e),
    nats,
    space,
    ops,
    logLevel,
    vpsPool: e.VPS_POOL,
    provisioner: {
      durationMs: e.PROVISION_DURATION_MS,
      failureRate: e.PROVISION_FAILURE_RATE,
      failDomains: e.PROVISION_FAIL_DOMAINS,
    },
    siteProvisioner: listener,
    outbox: { relay: e.OUTBOX_RELAY, pollIntervalMs: e.OUTBOX_POLL_MS, retainSentMs: e.OUTBOX_RETAIN_SENT_MS },
    ssl: {
      certValidityDays: e.SSL_CERT_VALIDITY_DAYS,
      warnDays: e.SSL_EXPIRY_WARN_DAYS,
      checkIntervalMs: e.SSL_EXPIRY_CHECK_INTERVAL_MS,
    },
  };
}
