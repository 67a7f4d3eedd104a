import { SiteOps } from '@chom/contracts';
import { endpoint } from '@chom/messaging';
import { decodeCursor } from '../db/cursor.js';
import { listSites } from '../db/queries.js';
import type { SiteDeps } from '../deps.js';

export function listSitesEndpoint(deps: SiteDeps) {
  return endpoint(SiteOps.list, async ({ ctx, limit, cursor, status }) =>
    listSites(deps.db, ctx.tenantId, { limit, status, after: cursor === undefined ? undefined : decodeCursor(cursor) }),
  );
}
