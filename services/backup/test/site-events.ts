import { randomUUID } from 'node:crypto';
import {
  createEvent,
  SiteCreated,
  SiteDeleted,
  SiteProvisioned,
  SiteProvisioningFailed,
  type AnyEvent,
  type SiteType,
} from '@chom/contracts';

const context = (tenantId: string) => ({
  tenantId,
  actor: { id: 'u_1', type: 'user' as const },
  source: 'site',
  correlationId: randomUUID(),
});

/** One site's events as the site service publishes them: created, then failed or provisioned, then deleted. */
export function lifeOf(
  tenantId: string,
  until: 'created' | 'active' | 'failed' | 'deleted',
  siteType: SiteType = 'php',
): AnyEvent[] {
  const siteId = randomUUID();
  const domain = `s-${siteId.slice(0, 8)}.example.com`;
  const c = context(tenantId);
  const events: AnyEvent[] = [createEvent(SiteCreated, c, { siteId, domain, siteType })];
  if (until === 'failed') events.push(createEvent(SiteProvisioningFailed, c, { siteId, domain, errorMessage: 'x' }));
  if (until === 'active' || until === 'deleted')
    events.push(createEvent(SiteProvisioned, c, { siteId, domain, vpsId: 'vps-1', durationSeconds: 1 }));
  if (until === 'deleted') events.push(createEvent(SiteDeleted, c, { siteId, tenantId, domain }));
  return events;
}
