import { createEvent, SiteCreated, SiteOps, uuidv7 } from '@chom/contracts';
import { enqueueEvents } from '@chom/db';
import { endpoint } from '@chom/messaging';
import { insertSite } from '../db/queries.js';
import { SOURCE, traceHeaders, type SiteDeps } from '../deps.js';

/** Records the site, already `provisioning`, and its `site.created` event in one transaction. */
export function createSiteEndpoint(deps: SiteDeps) {
  return endpoint(SiteOps.create, async ({ ctx, domain, siteType }) => {
    const at = deps.now();
    const id = uuidv7(at.getTime());
    return deps.db.transaction(async (tx) => {
      const site = await insertSite(tx, { id, tenantId: ctx.tenantId, domain, siteType, status: 'provisioning', at });
      const event = createEvent(
        SiteCreated,
        { tenantId: ctx.tenantId, actor: ctx.actor, source: SOURCE, correlationId: ctx.correlationId },
        { siteId: site.id, domain: site.domain, siteType },
        at,
      );
      await enqueueEvents(tx, deps.space, [event], traceHeaders());
      return site;
    });
  });
}
