import { z } from 'zod';
import { Hostname, IsoDateTime, SiteType } from '../domain.js';
import { TenantId } from '../ids.js';
import { defineEvent, type EventOf } from './define.js';

const bySite = (d: { siteId: string }) => d.siteId;

export const SiteCreated = defineEvent(
  'site.created',
  1,
  z.strictObject({ siteId: z.uuid(), domain: Hostname, siteType: SiteType }),
  bySite,
);
export type SiteCreated = EventOf<typeof SiteCreated>;

export const SiteProvisioned = defineEvent(
  'site.provisioned',
  1,
  z.strictObject({
    siteId: z.uuid(),
    domain: Hostname,
    vpsId: z.string().min(1).max(128),
    durationSeconds: z.number().nonnegative(),
  }),
  bySite,
);
export type SiteProvisioned = EventOf<typeof SiteProvisioned>;

export const SiteProvisioningFailed = defineEvent(
  'site.provisioning_failed',
  1,
  z.strictObject({
    siteId: z.uuid(),
    domain: Hostname,
    errorMessage: z.string().min(1).max(2000),
    errorTrace: z.string().max(8000).optional(),
  }),
  bySite,
);
export type SiteProvisioningFailed = EventOf<typeof SiteProvisioningFailed>;

export const SiteDeleted = defineEvent(
  'site.deleted',
  1,
  z.strictObject({ siteId: z.uuid(), tenantId: TenantId, domain: Hostname }),
  bySite,
);
export type SiteDeleted = EventOf<typeof SiteDeleted>;

/** The site's certificate expires within the warning window; emitted at most once per site per day. */
export const SiteSslExpiring = defineEvent(
  'site.ssl_expiring',
  1,
  z.strictObject({
    siteId: z.uuid(),
    domain: Hostname,
    daysUntilExpiration: z.int().nonnegative(),
    sslExpiresAt: IsoDateTime,
  }),
  bySite,
);
export type SiteSslExpiring = EventOf<typeof SiteSslExpiring>;
