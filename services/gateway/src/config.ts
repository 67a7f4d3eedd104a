import { readFileSync } from 'node:fs';
import { z } from 'zod';

type Env = Record<string, string | undefined>;

/** Configuration that cannot be used; the message lists every variable at fault. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
}

const positiveInt = z.coerce.number().int().positive();
const SubjectRoot = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, 'subject tokens separated by dots, no wildcards');
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const SecretSource = z.object({
  JWT_SECRET: optionalString,
  JWT_SECRET_FILE: optionalString,
});

const EnvSchema = SecretSource.extend({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  NATS_USER: optionalString,
  NATS_PASSWORD: optionalString,
  NATS_CREDS: optionalString,
  SERVICES_SUBJECT_ROOT: SubjectRoot.default('svc'),
  EVENTS_SUBJECT_ROOT: SubjectRoot.default('events'),
  EVENTS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'a stream name (letters, digits, "_" or "-")')
    .default('EVENTS'),
  REQUEST_TIMEOUT_MS: positiveInt.default(5_000),
  BODY_LIMIT_BYTES: positiveInt.default(64 * 1024),
  RATE_LIMIT_MAX: positiveInt.default(300),
  RATE_LIMIT_WINDOW_MS: positiveInt.default(60_000),
  IDEMPOTENCY_BUCKET: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'a KV bucket name (letters, digits, "_" or "-")')
    .default('idempotency'),
  IDEMPOTENCY_TTL_MS: positiveInt.default(24 * 60 * 60 * 1000),
});

export interface GatewayConfig {
  port: number;
  host: string;
  logLevel: string;
  nats: { servers: string; user?: string | undefined; password?: string | undefined; credsFile?: string | undefined };
  servicesSubjectRoot: string;
  /** The event stream and its subject root: the SSE route and the admin event store read them. */
  eventsStream: string;
  eventsSubjectRoot: string;
  requestTimeoutMs: number;
  bodyLimitBytes: number;
  rateLimit: { max: number; windowMs: number };
  idempotency: { bucket: string; ttlMs: number };
  jwtSecret: string;
}

const MIN_SECRET_LENGTH = 32;

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `  - ${issue.path.join('.') || '(env)'}: ${issue.message}`).join('\n');
}

/** The signing secret: JWT_SECRET, or the contents of JWT_SECRET_FILE (trailing newline dropped). */
function resolveSecret(source: z.infer<typeof SecretSource>): { secret?: string; problem?: string } {
  if (source.JWT_SECRET && source.JWT_SECRET_FILE)
    return { problem: 'JWT_SECRET: set JWT_SECRET or JWT_SECRET_FILE, not both' };
  let secret = source.JWT_SECRET;
  if (source.JWT_SECRET_FILE) {
    try {
      secret = readFileSync(source.JWT_SECRET_FILE, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      return {
        problem: `JWT_SECRET_FILE: cannot read ${source.JWT_SECRET_FILE} (${(error as NodeJS.ErrnoException).code})`,
      };
    }
  }
  if (!secret) return { problem: 'JWT_SECRET: required (or JWT_SECRET_FILE)' };
  if (secret.length < MIN_SECRET_LENGTH) return { problem: `JWT_SECRET: at least ${MIN_SECRET_LENGTH} characters` };
  return { secret };
}

function fail(problems: string[]): never {
  throw new ConfigError(`invalid gateway configuration:\n${problems.join('\n')}`);
}

/** Only the JWT signing secret, for tools such as `bin/token` that need nothing else. */
export function loadJwtSecret(env: Env = process.env): string {
  const parsed = SecretSource.safeParse(env);
  if (!parsed.success) fail([describe(parsed.error)]);
  const { secret, problem } = resolveSecret(parsed.data);
  if (!secret) fail([`  - ${problem}`]);
  return secret;
}

/** Parses the whole environment once; throws `ConfigError` listing every missing or invalid variable. */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = parsed.success ? [] : [describe(parsed.error)];
  const { secret, problem } = resolveSecret(SecretSource.parse(env));
  if (problem) problems.push(`  - ${problem}`);
  if (!parsed.success || !secret) fail(problems);
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    nats: { servers: e.NATS_URL, user: e.NATS_USER, password: e.NATS_PASSWORD, credsFile: e.NATS_CREDS },
    servicesSubjectRoot: e.SERVICES_SUBJECT_ROOT,
    eventsStream: e.EVENTS_STREAM,
    eventsSubjectRoot: e.EVENTS_SUBJECT_ROOT,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW_MS },
    idempotency: { bucket: e.IDEMPOTENCY_BUCKET, ttlMs: e.IDEMPOTENCY_TTL_MS },
    jwtSecret: secret,
  };
}
