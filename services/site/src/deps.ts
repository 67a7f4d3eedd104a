import type { SubjectSpace } from '@chom/contracts';
import type { DbExecutor } from '@chom/db';
import { traceHeaders as currentTraceHeaders, type Logger } from '@chom/telemetry';
import type { Provisioner } from './provisioning/provisioner.js';

/** What the endpoints and the handler need; built once in main, or by a test. */
export interface SiteDeps {
  /** `database.db`; transactions via `db.transaction`. */
  db: DbExecutor;
  space: Pick<SubjectSpace, 'events'>;
  provisioner: Provisioner;
  logger: Logger;
  now: () => Date;
  /** Certificate validity and warning window; `DEFAULT_SSL` when absent. */
  ssl?: SslSettings;
}

export interface SslSettings {
  /** Days a certificate issued at provisioning is valid. */
  certValidityDays: number;
  /** `site.ssl_expiring` is emitted for certificates expiring within this many days. */
  warnDays: number;
}

export const DEFAULT_SSL: SslSettings = { certValidityDays: 90, warnDays: 14 };

export const SOURCE = 'site';
export const DAY_MS = 86_400_000;

/**
 * Trace context of the active span (the request's or the event handler's, or the transaction
 * inside it), carried by the outbox row to the broker so the publish continues the trace.
 */
export function traceHeaders(): Record<string, string> {
  return currentTraceHeaders();
}
