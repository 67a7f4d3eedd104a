import { createEvent, SiteCreated, SiteOps, uuidv7 } from '@chom/contracts';
import { endpoint } from '@chom/messaging';
import { insertSite } from '../db/insert-sites.js';
import { SOURCE, type SiteDeps } from '../deps.js';

/** Records the site, already `provisioning`, and its `site.created` event in one statement (shared with concurrent creations). */
export function createSiteEndpoint(deps: SiteDeps) {
  return endpoint(SiteOps.create, async ({ ctx, domain, siteType }) => {
    const at = deps.now();
    const id = uuidv7(at.getTime());
    const event = createEvent(
      SiteCreated,
      { tenantId: ctx.tenantId, actor: ctx.actor, source: SOURCE, correlationId: ctx.correlationId },
      { siteId: id, domain, siteType },
      at,
    );
    const site = { id, tenantId: ctx.tenantId, domain, siteType, status: 'provisioning' as const, at };
    return insertSite(deps.db, deps.space, site, [event]);
  });
}
