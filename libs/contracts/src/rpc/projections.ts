import { z } from 'zod';
import { IsoDateTime } from '../domain.js';
import { defineOperation } from './common.js';

/** Every projection an operator can rebuild, and the service that owns it (serves its `projection.*` operations). */
export const PROJECTIONS = { 'audit-log': 'audit', 'tenant-stats': 'metrics', 'backup-sites': 'backup' } as const;
export type ProjectionName = keyof typeof PROJECTIONS;

/** Other names the CLI accepts for a projection. */
export const PROJECTION_ALIASES: Readonly<Record<string, ProjectionName>> = { audit: 'audit-log' };

/** A projection by its name or alias, with its owning service; undefined when there is none. */
export function findProjection(name: string): { projection: ProjectionName; service: string } | undefined {
  const projection = Object.hasOwn(PROJECTIONS, name)
    ? (name as ProjectionName)
    : Object.hasOwn(PROJECTION_ALIASES, name)
      ? PROJECTION_ALIASES[name]
      : undefined;
  return projection ? { projection, service: PROJECTIONS[projection] } : undefined;
}

export const ReplayStart = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('start') }),
  z.strictObject({ kind: z.literal('seq'), seq: z.number().int().min(1) }),
  z.strictObject({ kind: z.literal('time'), time: IsoDateTime }),
]);
export type ReplayStart = z.infer<typeof ReplayStart>;

export const RebuildState = z.enum(['running', 'done', 'failed', 'cancelled']);

/** A projection's last (or running) rebuild, and how far its live listener is behind. */
export const ProjectionStatus = z.strictObject({
  projection: z.string(),
  rebuild: z
    .strictObject({
      id: z.string(),
      state: RebuildState,
      from: ReplayStart,
      dryRun: z.boolean(),
      target: z.number().int(),
      position: z.number().int(),
      processed: z.number().int(),
      total: z.number().int(),
      error: z.string().nullable(),
      startedAt: z.string(),
      finishedAt: z.string().nullable(),
    })
    .nullable(),
  live: z.strictObject({ consumer: z.string(), pending: z.number().int(), ackFloor: z.number().int() }).nullable(),
});
export type ProjectionStatus = z.infer<typeof ProjectionStatus>;

/** Rebuild operations of a service's projections (`svc.<service>.projection.*`), for operators. */
export function projectionOps(service: string) {
  return {
    rebuild: defineOperation(
      service,
      'projection.rebuild',
      z.strictObject({
        projection: z.string().min(1),
        from: ReplayStart.default({ kind: 'start' }),
        dryRun: z.boolean().default(false),
      }),
      ProjectionStatus,
    ),
    status: defineOperation(
      service,
      'projection.status',
      z.strictObject({ projection: z.string().min(1) }),
      ProjectionStatus,
    ),
  } as const;
}
