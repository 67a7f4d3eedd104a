import { AppError } from '@chom/contracts';
import type { Principal, Role } from './token.js';

/** What a route does to the tenant's resources: viewers may only read. */
export type Access = 'read' | 'write' | 'platform-admin';

const WRITERS: ReadonlySet<Role> = new Set(['owner', 'admin', 'member']);

/** Throws `FORBIDDEN` when the principal's role does not allow `access`. */
export function authorize(principal: Principal, access: Access): void {
  if (access === 'platform-admin' && principal.role !== 'platform-admin') {
    throw new AppError('FORBIDDEN', 'only a platform admin may use the admin API');
  }
  if (access === 'write' && !WRITERS.has(principal.role)) {
    throw new AppError('FORBIDDEN', `role "${principal.role}" may not change resources`);
  }
}
