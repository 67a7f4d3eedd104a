import { createEvent, SiteCreated, SiteOps, uuidv7 } from '@chom/contracts';
import { endpoint } from '@chom/messaging';
import { siteInserter } from '../db/insert-sites.js';
import { SOURCE, type SiteDeps } from '../deps.js';

/**
 * Records the site, already `provisioning`, and its `site.created` event in one statement;
 * concurrent creations share it (`siteInserter`).
 */
export function createSiteEndpoint(deps: SiteDeps) {
  const insertSite = siteInserter(deps.db, deps.space);
  return endpoint(SiteOps.create, async ({ ctx, domain, siteType }) => {
    const at = deps.now();
    const id = uuidv7(at.getTime());
    const event = createEvent(
      SiteCreated,
      { tenantId: ctx.tenantId, actor: ctx.actor, source: SOURCE, correlationId: ctx.correlationId },
      { siteId: id, domain, siteType },
      at,
    );
    return insertSite({ id, tenantId: ctx.tenantId, domain, siteType, status: 'provisioning', at }, [event]);
  });
}
