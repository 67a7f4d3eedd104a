import {
  createEvent,
  SiteProvisioned,
  SiteProvisioningFailed,
  type EventContext,
  type SiteCreated,
} from '@chom/contracts';
import { enqueueEvents } from '@chom/db';
import { claimFreshSite, markSiteActive } from '../db/provisioning-writes.js';
import { allocateVps, lockSite, markSiteFailed, releaseVps, type Db } from '../db/queries.js';
import { DAY_MS, DEFAULT_SSL, SOURCE, traceHeaders, type SiteDeps } from '../deps.js';
import { ProvisioningError } from '../provisioning/provisioner.js';

export const NO_VPS_AVAILABLE = 'No VPS server available';

export type ProvisionOutcome =
  | { outcome: 'skipped'; reason: 'site_not_found' | 'not_provisioning' }
  | { outcome: 'provisioned'; vpsId: string; durationSeconds: number }
  | { outcome: 'failed'; reason: string };

type Claim = ProvisionOutcome | { outcome: 'claimed'; vpsId: string };

const notProvisioning = { outcome: 'skipped', reason: 'not_provisioning' } as const;

/**
 * `site-provisioner`: gives a new site a server and provisions it. Safe to run again for the
 * same event: only a site still `provisioning` is touched, and its server, once recorded on
 * it, is reused. A `ProvisioningError` fails the site; any other error is left to the
 * runner's retries (the site keeps its server meanwhile).
 */
export async function provisionSite(event: SiteCreated, deps: SiteDeps): Promise<ProvisionOutcome> {
  const { siteId, domain, siteType } = event.data;
  const context: EventContext = {
    tenantId: event.tenantId,
    actor: event.actor,
    source: SOURCE,
    correlationId: event.correlationId,
    causationId: event.id,
  };

  // The usual case in one statement; anything else (a retry, a full pool, a deleted site) below.
  const fast = await claimFreshSite(deps.db, { siteId, tenantId: event.tenantId, at: deps.now() });
  const claim: Claim = fast
    ? { outcome: 'claimed', vpsId: fast }
    : await deps.db.transaction(async (tx): Promise<Claim> => {
        const site = await lockSite(tx, siteId);
        if (!site || site.tenantId !== event.tenantId) return { outcome: 'skipped', reason: 'site_not_found' } as const;
        if (site.status !== 'provisioning') return notProvisioning;
        if (site.vpsId) return { outcome: 'claimed', vpsId: site.vpsId };
        const vpsId = await allocateVps(tx, siteId, deps.now());
        if (!vpsId) return fail(tx, deps, context, { siteId, domain, errorMessage: NO_VPS_AVAILABLE });
        return { outcome: 'claimed', vpsId };
      });
  if (claim.outcome !== 'claimed') return claim;
  const { vpsId } = claim;

  const started = deps.now().getTime();
  try {
    await deps.provisioner.provision({ siteId, tenantId: event.tenantId, domain, siteType, vpsId });
  } catch (error) {
    if (!(error instanceof ProvisioningError)) throw error;
    deps.logger.warn({ err: error, siteId, vpsId }, 'site provisioning failed');
    return deps.db.transaction(async (tx) => {
      const site = await lockSite(tx, siteId);
      if (site?.status !== 'provisioning') return notProvisioning;
      if (site.vpsId) await releaseVps(tx, site.vpsId);
      return fail(tx, deps, context, { siteId, domain, errorMessage: error.message, errorTrace: error.trace });
    });
  }
  const at = deps.now();
  const durationSeconds = Math.max(0, at.getTime() - started) / 1000;

  // The simulated provisioner issues the certificate: valid from now.
  const { certValidityDays } = deps.ssl ?? DEFAULT_SSL;
  const provisioned = createEvent(SiteProvisioned, context, { siteId, domain, vpsId, durationSeconds }, at);
  const sslExpiresAt = new Date(at.getTime() + certValidityDays * DAY_MS);
  // Deleted while it was being provisioned: the delete already gave the server back.
  if (!(await markSiteActive(deps.db, deps.space, { siteId, at, sslExpiresAt }, [provisioned]))) return notProvisioning;
  return { outcome: 'provisioned', vpsId, durationSeconds };
}

async function fail(
  tx: Db,
  deps: SiteDeps,
  context: EventContext,
  failure: { siteId: string; domain: string; errorMessage: string; errorTrace?: string | undefined },
): Promise<ProvisionOutcome> {
  const at = deps.now();
  const errorMessage = failure.errorMessage.slice(0, 2000) || 'Provisioning failed';
  await markSiteFailed(tx, failure.siteId, errorMessage, at);
  const data = {
    siteId: failure.siteId,
    domain: failure.domain,
    errorMessage,
    ...(failure.errorTrace ? { errorTrace: failure.errorTrace.slice(0, 8000) } : {}),
  };
  await enqueueEvents(tx, deps.space, [createEvent(SiteProvisioningFailed, context, data, at)], traceHeaders());
  return { outcome: 'failed', reason: errorMessage };
}
