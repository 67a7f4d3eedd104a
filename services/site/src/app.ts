import { eventFilter, type AnyEvent } from '@chom/contracts';
import type { Endpoint, ListenerSpec } from '@chom/messaging';
import type { Config } from './config.js';
import type { SiteDeps } from './deps.js';
import { checkSslExpiryEndpoint } from './endpoints/check-ssl-expiry.js';
import { createSiteEndpoint } from './endpoints/create-site.js';
import { deleteSiteEndpoint } from './endpoints/delete-site.js';
import { getSiteEndpoint } from './endpoints/get-site.js';
import { listSitesEndpoint } from './endpoints/list-sites.js';
import { provisionSite } from './handlers/provision-site.js';

export const SITE_PROVISIONER = 'site-provisioner';

/** The service's request/reply endpoints (`svc.site.*`); `serveEndpoints` serves them. */
export function buildEndpoints(deps: SiteDeps): Endpoint[] {
  return [
    createSiteEndpoint(deps),
    getSiteEndpoint(deps),
    listSitesEndpoint(deps),
    deleteSiteEndpoint(deps),
    checkSslExpiryEndpoint(deps),
  ];
}

/** The `site-provisioner` listener's handler; it only ever receives `site.created`. */
export function buildProvisionHandler(deps: SiteDeps): (event: AnyEvent) => Promise<void> {
  return async (event) => {
    if (event.type !== 'site.created') return;
    const result = await provisionSite(event, deps);
    deps.logger.info({ siteId: event.data.siteId, ...result }, 'site-provisioner handled site.created');
  };
}

export const acceptsSiteCreated = (type: string): boolean => type === 'site.created';

export function siteProvisionerSpec(config: Config): ListenerSpec {
  const { maxDeliver, backoffMs, ackWaitMs, concurrency, maxAckPending } = config.siteProvisioner;
  return {
    name: SITE_PROVISIONER,
    filterSubject: eventFilter(config.space, 'site.created'),
    maxDeliver,
    backoffMs,
    ackWaitMs,
    maxAckPending,
    concurrency,
  };
}
