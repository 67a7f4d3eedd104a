import { z } from 'zod';

/** Configuration a process cannot start with; the message names every offending variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'INVALID_CONFIG';
}

// An empty variable (`FOO=`) means "not set", as most shells and env files intend.
const blankAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** An optional variable; blank counts as unset. */
export const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankAsUndefined, schema.optional());

/** A variable with a default that goes through the same parsing as a configured value. */
export const withDefault = <T extends z.ZodType>(schema: T, fallback: z.input<T>) =>
  z.preprocess(blankAsUndefined, schema.prefault(fallback as never));

export const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

export const Port = int(0, 65_535);

/** `"60000"` or `"1000,5000,30000"`: one delay per attempt, the last repeating. */
export const MillisList = z
  .string()
  .trim()
  .regex(/^\d+(\s*,\s*\d+)*$/, 'a comma-separated list of milliseconds, e.g. "60000" or "1000,5000"')
  .transform((value) => value.split(',').map((part) => Number(part.trim())));

export const StreamName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a stream name: letters, digits, "_" or "-"');

/** A subject root: tokens joined by dots, no wildcards (`events`, `t1a2.events`). */
export const SubjectRoot = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'subject tokens (letters, digits, "_", "-") joined by dots');

export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
/** Postgres's `plan_cache_mode` for a service's sessions: custom plans per run, or Postgres's choice. */
export const PlanCacheMode = z.enum(['force_custom_plan', 'auto']);
export type PlanCacheMode = z.output<typeof PlanCacheMode>;

export const PostgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'a postgres:// URL' });

export const OnOff = z.enum(['on', 'off']).transform((v) => v === 'on');

/** Parses the environment once; throws `ConfigError` naming each missing or invalid variable. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(environment)'}: ${i.message}`);
  throw new ConfigError(`invalid configuration for ${what}:\n${lines.join('\n')}`);
}
