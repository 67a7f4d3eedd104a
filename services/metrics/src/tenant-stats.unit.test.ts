import { describe, expect, it } from 'vitest';
import { siteTarget, siteTransition } from './tenant-stats.js';

describe('siteTransition', () => {
  it('moves a site between the counters of the states it leaves and enters', () => {
    expect(siteTransition(undefined, 'provisioning')).toEqual({ to: 'provisioning', delta: { sitesProvisioning: 1 } });
    expect(siteTransition('provisioning', 'active')).toEqual({
      to: 'active',
      delta: { sitesProvisioning: -1, sitesActive: 1 },
    });
    expect(siteTransition('provisioning', 'failed')?.delta).toEqual({ sitesProvisioning: -1, sitesFailed: 1 });
    expect(siteTransition('failed', 'deleted')).toEqual({ to: 'deleted', delta: { sitesFailed: -1 } });
    expect(siteTransition('active', 'deleted')?.delta).toEqual({ sitesActive: -1 });
  });

  it('never moves a deleted site, nor a known one back to provisioning', () => {
    expect(siteTransition('deleted', 'active')).toBeUndefined();
    expect(siteTransition('active', 'provisioning')).toBeUndefined();
    expect(siteTransition('active', 'active')).toBeUndefined();
  });

  it('counts a site first seen after its creation in the state it is seen in', () => {
    expect(siteTransition(undefined, 'active')?.delta).toEqual({ sitesActive: 1 });
    expect(siteTransition(undefined, 'deleted')).toEqual({ to: 'deleted', delta: {} });
  });

  it('maps site events to states and ignores the others', () => {
    expect(siteTarget('site.provisioning_failed')).toBe('failed');
    expect(siteTarget('backup.completed')).toBeUndefined();
  });
});
