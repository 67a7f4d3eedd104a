import { randomUUID } from 'node:crypto';
import {
  BackupCompleted,
  BackupFailed,
  SiteCreated,
  SiteDeleted,
  SiteProvisioned,
  createEvent,
  type AnyEvent,
  type EventContext,
} from '@chom/contracts';

export function context(tenantId: string, overrides: Partial<EventContext> = {}): EventContext {
  return {
    tenantId,
    actor: { id: 'u_1', type: 'user' },
    source: 'test',
    correlationId: randomUUID(),
    ...overrides,
  };
}

/** The events of one site's life, one second apart from `start`, plus one backup that fails. */
export function siteLife(tenantId: string, start: Date, siteId: string = randomUUID()): AnyEvent[] {
  const at = (s: number) => new Date(start.getTime() + s * 1000);
  const ctx = context(tenantId);
  const domain = `s-${siteId.slice(0, 8)}.example.com`;
  const backupOk = randomUUID();
  const backupBad = randomUUID();
  return [
    createEvent(SiteCreated, ctx, { siteId, domain, siteType: 'wordpress' }, at(0)),
    createEvent(
      SiteProvisioned,
      { ...ctx, actor: { id: 'system', type: 'system' } },
      { siteId, domain, vpsId: 'vps-1', durationSeconds: 4.2 },
      at(1),
    ),
    createEvent(
      BackupCompleted,
      ctx,
      { backupId: backupOk, siteId, backupType: 'full', sizeBytes: 1024, durationSeconds: 3 },
      at(2),
    ),
    createEvent(
      BackupFailed,
      ctx,
      { backupId: backupBad, siteId, backupType: 'database', errorMessage: 'disk full' },
      at(3),
    ),
    createEvent(SiteDeleted, ctx, { siteId, tenantId, domain }, at(4)),
  ];
}
