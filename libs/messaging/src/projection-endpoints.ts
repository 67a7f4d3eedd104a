import { AppError, projectionOps } from '@chom/contracts';
import type { ProjectionRebuilder } from './projection-rebuild.js';
import { endpoint, type Endpoint } from './rpc.js';

/**
 * `svc.<service>.projection.rebuild|status` over the service's rebuildable projections:
 * operator operations, no tenant context. A projection the service does not own is NOT_FOUND.
 */
export function projectionEndpoints(service: string, rebuilders: ProjectionRebuilder[]): Endpoint[] {
  const ops = projectionOps(service);
  const byName = new Map(rebuilders.map((r) => [r.projection, r]));
  const find = (projection: string) => {
    const rebuilder = byName.get(projection);
    if (!rebuilder) throw new AppError('NOT_FOUND', `${service} has no projection "${projection}"`);
    return rebuilder;
  };
  return [
    endpoint(ops.rebuild, async ({ projection, from, dryRun }) => find(projection).start({ from, dryRun })),
    endpoint(ops.status, async ({ projection }) => find(projection).status()),
  ];
}
