import { z } from 'zod';
import { Hostname, IsoDateTime, SiteStatus, SiteType } from '../domain.js';
import { TenantId } from '../ids.js';
import { Cursor, defineOperation, page, PageLimit, RequestContext } from './common.js';

export const Site = z.strictObject({
  id: z.uuid(),
  tenantId: TenantId,
  domain: Hostname,
  siteType: SiteType,
  status: SiteStatus,
  vpsId: z.string().nullable(),
  failureReason: z.string().nullable(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  provisionedAt: IsoDateTime.nullable(),
  deletedAt: IsoDateTime.nullable(),
});
export type Site = z.infer<typeof Site>;

/** Domains arrive in any case and with stray spaces; they are stored in lower case. */
export const DomainInput = z.string().trim().toLowerCase().pipe(Hostname);

export const CreateSiteInput = z.strictObject({ domain: DomainInput, siteType: SiteType });
export type CreateSiteInput = z.infer<typeof CreateSiteInput>;

export const ListSitesQuery = z.strictObject({
  limit: PageLimit,
  cursor: Cursor.optional(),
  status: SiteStatus.optional(),
});
export type ListSitesQuery = z.infer<typeof ListSitesQuery>;

export const SitePage = page(Site);
export type SitePage = z.infer<typeof SitePage>;

const SiteRef = z.strictObject({ ctx: RequestContext, siteId: z.uuid() });

export const SiteOps = {
  create: defineOperation('site', 'create', CreateSiteInput.extend({ ctx: RequestContext }), Site),
  get: defineOperation('site', 'get', SiteRef, Site),
  list: defineOperation('site', 'list', ListSitesQuery.extend({ ctx: RequestContext }), SitePage),
  delete: defineOperation('site', 'delete', SiteRef, Site),
  /**
   * Internal (no gateway route): runs the certificate-expiry check now, over every tenant, as
   * the daily job does; `emitted` counts the `site.ssl_expiring` events it wrote.
   */
  checkSslExpiry: defineOperation(
    'site',
    'checkSslExpiry',
    z.strictObject({}),
    z.strictObject({ emitted: z.int().nonnegative() }),
  ),
} as const;
