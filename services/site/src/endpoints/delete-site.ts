import { AppError, createEvent, SiteDeleted, SiteOps } from '@chom/contracts';
import { enqueueEvents } from '@chom/db';
import { endpoint } from '@chom/messaging';
import { markSiteDeleted, releaseVps } from '../db/queries.js';
import { SOURCE, traceHeaders, type SiteDeps } from '../deps.js';

/**
 * Soft delete: the site keeps its row as `deleted`, gives its server back and frees its domain,
 * with `site.deleted` in the same transaction. Deleting it again is SITE_NOT_FOUND.
 */
export function deleteSiteEndpoint(deps: SiteDeps) {
  return endpoint(SiteOps.delete, async ({ ctx, siteId }) => {
    const at = deps.now();
    return deps.db.transaction(async (tx) => {
      const deleted = await markSiteDeleted(tx, ctx.tenantId, siteId, at);
      if (!deleted) throw new AppError('SITE_NOT_FOUND', `site ${siteId} not found`);
      if (deleted.releasedVpsId) await releaseVps(tx, deleted.releasedVpsId);
      const { site } = deleted;
      const event = createEvent(
        SiteDeleted,
        { tenantId: ctx.tenantId, actor: ctx.actor, source: SOURCE, correlationId: ctx.correlationId },
        { siteId: site.id, tenantId: site.tenantId, domain: site.domain },
        at,
      );
      await enqueueEvents(tx, deps.space, [event], traceHeaders());
      return site;
    });
  });
}
