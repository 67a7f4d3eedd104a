import { BackupType, SiteType, type AnyEvent } from '@chom/contracts';
import { Counter, Histogram, type Registry } from '@chom/telemetry';
import type { WaitingSiteEvent } from './db/schema.js';

/** The seed's business metrics, by its names; labelled by site or backup type only. */
export interface BusinessMetrics {
  sitesCreated: Counter<'site_type'>;
  sitesProvisioned: Counter<'site_type'>;
  sitesProvisioningFailed: Counter<'site_type'>;
  sitesDeleted: Counter<'site_type'>;
  provisioningDuration: Histogram<'site_type'>;
  backupsCompleted: Counter<'backup_type'>;
  backupsFailed: Counter<'backup_type'>;
  backupDuration: Histogram<'backup_type'>;
  backupSize: Histogram<'backup_type'>;
}

/** A site type the listener never saw created (its `site.created` is older than the stream). */
export const UNKNOWN_SITE_TYPE = 'unknown';

const KIB = 1024;

export function createBusinessMetrics(registry: Registry): BusinessMetrics {
  const registers = [registry];
  const siteCounter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['site_type'] as const, registers });
  const backupCounter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['backup_type'] as const, registers });
  const metrics: BusinessMetrics = {
    sitesCreated: siteCounter('sites_created_total', 'Sites created (site.created).'),
    sitesProvisioned: siteCounter('sites_provisioned_total', 'Sites provisioned (site.provisioned).'),
    sitesProvisioningFailed: siteCounter(
      'sites_provisioning_failed_total',
      'Site provisionings that failed (site.provisioning_failed).',
    ),
    sitesDeleted: siteCounter('sites_deleted_total', 'Sites deleted (site.deleted).'),
    provisioningDuration: new Histogram({
      name: 'site_provisioning_duration_seconds',
      help: 'How long provisioning a site took (site.provisioned durationSeconds).',
      labelNames: ['site_type'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers,
    }),
    backupsCompleted: backupCounter('backups_completed_total', 'Backups completed (backup.completed).'),
    backupsFailed: backupCounter('backups_failed_total', 'Backups failed (backup.failed).'),
    backupDuration: new Histogram({
      name: 'backup_duration_seconds',
      help: 'How long a completed backup took (backup.completed durationSeconds).',
      labelNames: ['backup_type'] as const,
      buckets: [0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400],
      registers,
    }),
    backupSize: new Histogram({
      name: 'backup_size_bytes',
      help: 'Size of a completed backup archive (backup.completed sizeBytes).',
      labelNames: ['backup_type'] as const,
      // 16 KiB to 64 GiB, each bucket four times the last.
      buckets: Array.from({ length: 12 }, (_, i) => 16 * KIB * 4 ** i),
      registers,
    }),
  };
  // Every known label value from the start, so a query finds 0 rather than nothing.
  for (const site_type of SiteType.options) {
    for (const counter of [
      metrics.sitesCreated,
      metrics.sitesProvisioned,
      metrics.sitesProvisioningFailed,
      metrics.sitesDeleted,
    ])
      counter.inc({ site_type }, 0);
    metrics.provisioningDuration.zero({ site_type });
  }
  for (const backup_type of BackupType.options) {
    metrics.backupsCompleted.inc({ backup_type }, 0);
    metrics.backupsFailed.inc({ backup_type }, 0);
    metrics.backupDuration.zero({ backup_type });
    metrics.backupSize.zero({ backup_type });
  }
  return metrics;
}

/** Whether an event type moves any business metric (`backup.created` and `site.ssl_expiring` do not). */
export function countsInMetrics(type: string): boolean {
  return type !== 'backup.created' && type !== 'site.ssl_expiring';
}

/** Adds one event to the metrics; `siteType` labels the site events. */
export function applyEvent(metrics: BusinessMetrics, event: AnyEvent, siteType: string): void {
  switch (event.type) {
    case 'site.created':
    case 'site.provisioning_failed':
    case 'site.deleted':
      return applySiteEvent(metrics, event, siteType);
    case 'site.provisioned':
      return applySiteEvent(metrics, { type: event.type, durationSeconds: event.data.durationSeconds }, siteType);
    case 'backup.completed': {
      const backup = { backup_type: event.data.backupType };
      metrics.backupsCompleted.inc(backup);
      metrics.backupDuration.observe(backup, event.data.durationSeconds);
      return metrics.backupSize.observe(backup, event.data.sizeBytes);
    }
    case 'backup.failed':
      return metrics.backupsFailed.inc({ backup_type: event.data.backupType });
    case 'backup.created':
    case 'site.ssl_expiring':
      return;
  }
}

/** Adds a site event, as the metrics listener remembers one that waited for its site's type. */
export function applySiteEvent(metrics: BusinessMetrics, event: WaitingSiteEvent, siteType: string): void {
  const site = { site_type: siteType };
  switch (event.type) {
    case 'site.created':
      return metrics.sitesCreated.inc(site);
    case 'site.provisioned':
      metrics.sitesProvisioned.inc(site);
      if (event.durationSeconds !== undefined) metrics.provisioningDuration.observe(site, event.durationSeconds);
      return;
    case 'site.provisioning_failed':
      return metrics.sitesProvisioningFailed.inc(site);
    case 'site.deleted':
      return metrics.sitesDeleted.inc(site);
  }
}
