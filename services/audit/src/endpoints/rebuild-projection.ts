import { AppError, projectionOps } from '@chom/contracts';
import { endpoint, type Endpoint } from '@chom/messaging';
import { AUDIT_PROJECTION, type Rebuilder } from '../rebuild.js';

const ops = projectionOps('audit');

function known(projection: string): void {
  if (projection !== AUDIT_PROJECTION) throw new AppError('NOT_FOUND', `audit has no projection "${projection}"`);
}

/** `svc.audit.projection.rebuild|status`: operator operations, no tenant context. */
export function rebuildEndpoints(rebuilder: Rebuilder): Endpoint[] {
  return [
    endpoint(ops.rebuild, async ({ projection, from, dryRun }) => {
      known(projection);
      return rebuilder.start({ from, dryRun });
    }),
    endpoint(ops.status, async ({ projection }) => {
      known(projection);
      return rebuilder.status();
    }),
  ];
}
