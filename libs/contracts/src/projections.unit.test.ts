import { describe, expect, it } from 'vitest';
import { findProjection, PROJECTION_ALIASES, PROJECTIONS, projectionOps } from './rpc/projections.js';

describe('projections', () => {
  it('names the service that owns each projection, by name or alias', () => {
    expect(findProjection('tenant-stats')).toEqual({ projection: 'tenant-stats', service: 'metrics' });
    expect(findProjection('backup-sites')).toEqual({ projection: 'backup-sites', service: 'backup' });
    expect(findProjection('audit')).toEqual({ projection: 'audit-log', service: 'audit' });
    expect(findProjection('sites')).toBeUndefined();
    expect(findProjection('constructor')).toBeUndefined();
    for (const target of Object.values(PROJECTION_ALIASES)) expect(PROJECTIONS[target]).toBeDefined();
  });

  it('rebuilds from the start by default and accepts a sequence or a time', () => {
    const { rebuild } = projectionOps('metrics');
    expect(rebuild.request.parse({ projection: 'tenant-stats' })).toEqual({
      projection: 'tenant-stats',
      from: { kind: 'start' },
      dryRun: false,
    });
    expect(rebuild.request.safeParse({ projection: 'x', from: { kind: 'seq', seq: 0 } }).success).toBe(false);
    expect(rebuild.request.safeParse({ projection: 'x', from: { kind: 'time', time: 'yesterday' } }).success).toBe(
      false,
    );
    expect(rebuild.name).toBe('projection.rebuild');
  });
});
