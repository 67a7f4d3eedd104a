import { AppError, SiteOps } from '@chom/contracts';
import { endpoint } from '@chom/messaging';
import { findSite } from '../db/queries.js';
import type { SiteDeps } from '../deps.js';

export function getSiteEndpoint(deps: SiteDeps) {
  return endpoint(SiteOps.get, async ({ ctx, siteId }) => {
    const site = await findSite(deps.db, ctx.tenantId, siteId);
    if (!site) throw new AppError('SITE_NOT_FOUND', `site ${siteId} not found`);
    return site;
  });
}
