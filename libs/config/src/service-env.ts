import { z } from 'zod';
import {
  int,
  LogLevel,
  MillisList,
  optional,
  PlanCacheMode,
  Port,
  PostgresUrl,
  StreamName,
  SubjectRoot,
  withDefault,
} from './env.js';

/** The variables every backend process reads: NATS, the subject space, ops endpoints, logs. */
export function processEnv(defaults: { opsPort: number }) {
  return {
    NATS_URL: withDefault(z.string().min(1), 'nats://127.0.0.1:4222'),
    NATS_USER: optional(z.string()),
    NATS_PASSWORD: optional(z.string()),
    NATS_CREDS: optional(z.string()),
    EVENTS_STREAM: withDefault(StreamName, 'EVENTS'),
    EVENTS_SUBJECT_ROOT: withDefault(SubjectRoot, 'events'),
    SERVICES_SUBJECT_ROOT: withDefault(SubjectRoot, 'svc'),
    OPS_PORT: withDefault(Port, defaults.opsPort),
    OPS_HOST: withDefault(z.string().min(1), '0.0.0.0'),
    LOG_LEVEL: withDefault(LogLevel, 'info'),
  };
}

export type ProcessEnv = z.output<z.ZodObject<ReturnType<typeof processEnv>>>;

/**
 * `DATABASE_URL`, `DATABASE_POOL_MAX` to cap the pool (unset: the service sizes it to its
 * concurrency) and `DATABASE_PLAN_CACHE_MODE` (see `DatabaseOptions.planCacheMode` in `@chom/db`).
 */
export function databaseEnv(defaultDatabase: string) {
  return {
    DATABASE_URL: withDefault(PostgresUrl, `postgres://root@127.0.0.1:5432/${defaultDatabase}`),
    DATABASE_POOL_MAX: optional(int(2, 1000)),
    DATABASE_PLAN_CACHE_MODE: withDefault(PlanCacheMode, 'force_custom_plan'),
  };
}

export type DatabaseEnv = z.output<z.ZodObject<ReturnType<typeof databaseEnv>>>;

export interface ListenerDefaults {
  maxDeliver: number;
  backoffMs: string;
  ackWaitMs: number;
  concurrency: number;
  maxAckPending?: number;
  /** Events handed to a batch handler at once (1: one at a time); default 1. */
  batchSize?: number;
}

type ListenerKeys<P extends string> =
  | `${P}_MAX_DELIVER`
  | `${P}_BACKOFF_MS`
  | `${P}_ACK_WAIT_MS`
  | `${P}_CONCURRENCY`
  | `${P}_MAX_ACK_PENDING`
  | `${P}_BATCH_SIZE`;

/**
 * `<PREFIX>_MAX_DELIVER`, `_BACKOFF_MS`, `_ACK_WAIT_MS`, `_CONCURRENCY`, `_MAX_ACK_PENDING`,
 * `_BATCH_SIZE`: a listener's retry and flow settings, defaulting to the seeds' policy for
 * that listener.
 */
export function listenerEnv<P extends string>(prefix: P, defaults: ListenerDefaults) {
  return {
    [`${prefix}_MAX_DELIVER`]: withDefault(int(1, 100), defaults.maxDeliver),
    [`${prefix}_BACKOFF_MS`]: withDefault(MillisList, defaults.backoffMs),
    [`${prefix}_ACK_WAIT_MS`]: withDefault(int(1000), defaults.ackWaitMs),
    [`${prefix}_CONCURRENCY`]: withDefault(int(1, 1024), defaults.concurrency),
    // Unset: derived from the configured concurrency in `listenerSettings`.
    [`${prefix}_MAX_ACK_PENDING`]:
      defaults.maxAckPending === undefined ? optional(int(1)) : withDefault(int(1), defaults.maxAckPending),
    [`${prefix}_BATCH_SIZE`]: withDefault(int(1, 1000), defaults.batchSize ?? 1),
  } as unknown as {
    [K in ListenerKeys<P>]: K extends `${P}_BACKOFF_MS`
      ? z.ZodType<number[], unknown>
      : K extends `${P}_MAX_ACK_PENDING`
        ? z.ZodType<number | undefined, unknown>
        : z.ZodType<number, unknown>;
  };
}

export interface ListenerSettings {
  maxDeliver: number;
  backoffMs: number[];
  ackWaitMs: number;
  concurrency: number;
  maxAckPending: number;
  /** Events per batch for a listener with a batch handler (unset: 1). */
  batchSize?: number;
}

/** Reads one listener's settings out of a parsed environment. */
export function listenerSettings<P extends string>(
  env: {
    [K in ListenerKeys<P>]: K extends `${P}_BACKOFF_MS`
      ? number[]
      : K extends `${P}_MAX_ACK_PENDING`
        ? number | undefined
        : number;
  },
  prefix: P,
): ListenerSettings {
  const e = env as Record<string, unknown>;
  const concurrency = e[`${prefix}_CONCURRENCY`] as number;
  const batchSize = e[`${prefix}_BATCH_SIZE`] as number;
  // Room for the messages waiting behind a busy aggregate as well as the running ones, and
  // for a few full batches.
  const maxAckPending =
    (e[`${prefix}_MAX_ACK_PENDING`] as number | undefined) ?? Math.max(64, concurrency * 16, batchSize * 4);
  return {
    maxDeliver: e[`${prefix}_MAX_DELIVER`] as number,
    backoffMs: e[`${prefix}_BACKOFF_MS`] as number[],
    ackWaitMs: e[`${prefix}_ACK_WAIT_MS`] as number,
    concurrency,
    maxAckPending: Math.max(maxAckPending, concurrency),
    batchSize,
  };
}

/** The NATS connection settings and subject space out of a parsed `processEnv`. */
export function processSettings(env: ProcessEnv, service: string) {
  return {
    nats: {
      servers: env.NATS_URL,
      name: service,
      user: env.NATS_USER,
      password: env.NATS_PASSWORD,
      credsFile: env.NATS_CREDS,
    },
    space: { stream: env.EVENTS_STREAM, events: env.EVENTS_SUBJECT_ROOT, services: env.SERVICES_SUBJECT_ROOT },
    ops: { host: env.OPS_HOST, port: env.OPS_PORT },
    logLevel: env.LOG_LEVEL,
  };
}

export interface DatabaseSettings {
  /** `DATABASE_URL`; it may hold a password, so it is never logged. */
  url: string;
  /** `DATABASE_POOL_MAX`; unset: the service sizes the pool to its concurrency. */
  poolMax: number | undefined;
  /** `DATABASE_PLAN_CACHE_MODE`: Postgres's `plan_cache_mode` for the service's sessions. */
  planCacheMode: PlanCacheMode;
}

/**
 * The Postgres settings out of a parsed `databaseEnv`: the URL, the pool cap (`poolMax` unset
 * means the service sizes the pool to its concurrency) and the plan cache mode.
 */
export function databaseSettings(env: DatabaseEnv): DatabaseSettings {
  return { url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX, planCacheMode: env.DATABASE_PLAN_CACHE_MODE };
}
