import { pino, type Logger, type LoggerOptions } from 'pino';
import { currentContext } from './context.js';
import { logTraceIds } from './trace-context.js';

export type { Logger } from 'pino';

export interface LoggerConfig {
  service: string;
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

/** Fields never written, whatever object they are found on. */
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'databaseUrl',
  '*.databaseUrl',
  // A service config's `database: DatabaseSettings`; the URL may hold a password.
  'database.url',
  '*.database.url',
];

/**
 * A pino JSON logger whose every line carries the service name, the current execution
 * context (tenant, correlation, event) and `trace_id`/`span_id` of the active span.
 */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { service: config.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const { traceparent: _traceparent, tracestate: _tracestate, ...rest } = currentContext();
      return { ...rest, ...logTraceIds() };
    },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
