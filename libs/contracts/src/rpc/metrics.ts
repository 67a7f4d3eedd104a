import { z } from 'zod';
import { IsoDateTime } from '../domain.js';
import { TenantId } from '../ids.js';
import { defineOperation, RequestContext } from './common.js';

const Count = z.int().nonnegative();

/**
 * A tenant's statistics as the metrics service has them from the events: its sites by state
 * (`live` = not deleted = provisioning + active + failed) and its backups.
 */
export const TenantStats = z.strictObject({
  tenantId: TenantId,
  sites: z.strictObject({ live: Count, provisioning: Count, active: Count, failed: Count }),
  backups: z.strictObject({
    completed: Count,
    failed: Count,
    /** Sum of `sizeBytes` over the completed backups. */
    bytes: Count,
    lastBackupAt: IsoDateTime.nullable(),
  }),
  /** When an event last changed them; null when none has. */
  updatedAt: IsoDateTime.nullable(),
});
export type TenantStats = z.infer<typeof TenantStats>;

export const MetricsOps = {
  tenantStats: defineOperation('metrics', 'tenant-stats', z.strictObject({ ctx: RequestContext }), TenantStats),
} as const;
