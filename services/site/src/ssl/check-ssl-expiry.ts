import { randomUUID } from 'node:crypto';
import { createEvent, SiteSslExpiring, SYSTEM_ACTOR } from '@chom/contracts';
import { enqueueEvents } from '@chom/db';
import { lockExpiringSites, markSslExpiryNotified } from '../db/ssl-queries.js';
import { DAY_MS, DEFAULT_SSL, SOURCE, traceHeaders, type SiteDeps } from '../deps.js';

/** Whole days left, rounded up: a certificate expiring in 9.5 days "expires in 10 days". */
export function daysUntil(expiresAt: Date, now: Date): number {
  return Math.max(0, Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS));
}

/**
 * Emits `site.ssl_expiring` for every active site whose certificate expires within the
 * warning window, at most once per site per UTC day: the day is recorded on the site in the
 * transaction that writes the event to the outbox, so replicas running the check together,
 * or a check run twice, emit nothing more. Returns how many events it wrote.
 */
export async function checkSslExpiry(deps: SiteDeps, batchSize = 200): Promise<number> {
  const now = deps.now();
  const today = now.toISOString().slice(0, 10);
  const horizon = new Date(now.getTime() + (deps.ssl ?? DEFAULT_SSL).warnDays * DAY_MS);
  const correlationId = randomUUID();
  let emitted = 0;
  for (;;) {
    const written = await deps.db.transaction(async (tx) => {
      const due = await lockExpiringSites(tx, { now, horizon, today, limit: batchSize });
      const events = due.map((site) =>
        createEvent(
          SiteSslExpiring,
          { tenantId: site.tenantId, actor: SYSTEM_ACTOR, source: SOURCE, correlationId },
          {
            siteId: site.id,
            domain: site.domain,
            daysUntilExpiration: daysUntil(site.sslExpiresAt, now),
            sslExpiresAt: site.sslExpiresAt.toISOString(),
          },
          now,
        ),
      );
      await markSslExpiryNotified(
        tx,
        due.map((s) => s.id),
        today,
      );
      if (events.length > 0) await enqueueEvents(tx, deps.space, events, traceHeaders());
      return events.length;
    });
    emitted += written;
    if (written < batchSize) return emitted;
  }
}
