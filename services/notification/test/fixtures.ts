import { randomUUID } from 'node:crypto';
import {
  BackupFailed,
  createEvent,
  SiteProvisioned,
  SiteSslExpiring,
  type EventContext,
  type RequestContext,
} from '@chom/contracts';

export function eventContext(tenantId: string, userId = 'u_1'): EventContext {
  return { tenantId, actor: { id: userId, type: 'user' }, source: 'test', correlationId: randomUUID() };
}

export function requestContext(tenantId: string, userId = 'u_1'): RequestContext {
  return { tenantId, actor: { id: userId, type: 'user' }, correlationId: randomUUID() };
}

export function provisioned(tenantId: string, userId = 'u_1') {
  const siteId = randomUUID();
  return createEvent(SiteProvisioned, eventContext(tenantId, userId), {
    siteId,
    domain: `s-${siteId.slice(0, 8)}.example.com`,
    vpsId: 'vps-1',
    durationSeconds: 4.2,
  });
}

export function backupFailed(tenantId: string, userId = 'u_1') {
  return createEvent(BackupFailed, eventContext(tenantId, userId), {
    backupId: randomUUID(),
    siteId: randomUUID(),
    backupType: 'full',
    errorMessage: 'disk full',
  });
}

export function sslExpiring(tenantId: string, days: number) {
  const siteId = randomUUID();
  return createEvent(
    SiteSslExpiring,
    { ...eventContext(tenantId), actor: { id: 'system', type: 'system' } },
    {
      siteId,
      domain: `s-${siteId.slice(0, 8)}.example.com`,
      daysUntilExpiration: days,
      sslExpiresAt: new Date(Date.now() + days * 86_400_000).toISOString(),
    },
  );
}
