import { randomUUID } from 'node:crypto';
import {
  BackupCompleted,
  BackupFailed,
  SiteCreated,
  SiteDeleted,
  SiteProvisioned,
  SiteProvisioningFailed,
  createEvent,
  type AnyEvent,
  type EventContext,
  type SiteType,
} from '@chom/contracts';

export function context(tenantId: string): EventContext {
  return { tenantId, actor: { id: 'u_1', type: 'user' }, source: 'test', correlationId: randomUUID() };
}

const at = (start: number, s: number) => new Date(start + s * 1000);

/** One site's events: created, then provisioned (or failed), then, when asked, deleted. */
export function siteEvents(
  tenantId: string,
  options: { siteType?: SiteType; fails?: boolean; deleted?: boolean; durationSeconds?: number } = {},
): { siteId: string; events: AnyEvent[] } {
  const siteId = randomUUID();
  const ctx = context(tenantId);
  const domain = `s-${siteId.slice(0, 8)}.example.com`;
  const start = Date.now() - 10_000;
  const events: AnyEvent[] = [
    createEvent(SiteCreated, ctx, { siteId, domain, siteType: options.siteType ?? 'wordpress' }, at(start, 0)),
    options.fails
      ? createEvent(
          SiteProvisioningFailed,
          ctx,
          { siteId, domain, errorMessage: 'No VPS server available' },
          at(start, 1),
        )
      : createEvent(
          SiteProvisioned,
          ctx,
          { siteId, domain, vpsId: 'vps-1', durationSeconds: options.durationSeconds ?? 4.2 },
          at(start, 1),
        ),
  ];
  if (options.deleted) events.push(createEvent(SiteDeleted, ctx, { siteId, tenantId, domain }, at(start, 2)));
  return { siteId, events };
}

export function backupCompleted(
  tenantId: string,
  siteId: string,
  sizeBytes: number,
  occurredAt = new Date(),
): AnyEvent {
  return createEvent(
    BackupCompleted,
    context(tenantId),
    { backupId: randomUUID(), siteId, backupType: 'full', sizeBytes, durationSeconds: 12.5 },
    occurredAt,
  );
}

export function backupFailed(tenantId: string, siteId: string): AnyEvent {
  return createEvent(
    BackupFailed,
    context(tenantId),
    { backupId: randomUUID(), siteId, backupType: 'database', errorMessage: 'Insufficient disk space' },
    new Date(),
  );
}
