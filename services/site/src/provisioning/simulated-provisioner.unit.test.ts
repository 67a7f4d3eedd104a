import { describe, expect, it, vi } from 'vitest';
import { ProvisioningError, type ProvisionRequest } from './provisioner.js';
import { SimulatedProvisioner } from './simulated-provisioner.js';

const request = (domain = 'ok.example.com'): ProvisionRequest => ({
  siteId: '0193f6a2-7b1c-7def-8abc-0123456789ab',
  tenantId: 't_1',
  domain,
  siteType: 'wordpress',
  vpsId: 'vps-1',
});

describe('SimulatedProvisioner', () => {
  it('takes the configured duration and succeeds', async () => {
    const wait = vi.fn(async () => {});
    await new SimulatedProvisioner({ durationMs: 250, failureRate: 0, wait }).provision(request());
    expect(wait).toHaveBeenCalledWith(250);
  });

  it('fails domains matching PROVISION_FAIL_DOMAINS with a typed error and a trace', async () => {
    const provisioner = new SimulatedProvisioner({ durationMs: 0, failureRate: 0, failDomains: /^fail-/i });
    const error = await provisioner.provision(request('fail-1.example.com')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisioningError);
    expect((error as ProvisioningError).code).toBe('PROVISIONING_FAILED');
    expect((error as ProvisioningError).trace).toContain('vps-1');
    await expect(provisioner.provision(request('ok.example.com'))).resolves.toBeUndefined();
  });

  it('fails at the configured rate', async () => {
    const draws = [0.1, 0.9];
    const provisioner = new SimulatedProvisioner({ durationMs: 0, failureRate: 0.5, random: () => draws.shift() ?? 1 });
    await expect(provisioner.provision(request())).rejects.toBeInstanceOf(ProvisioningError);
    await expect(provisioner.provision(request())).resolves.toBeUndefined();
  });

  it('never fails at rate 0, always at rate 1', async () => {
    const never = new SimulatedProvisioner({ durationMs: 0, failureRate: 0, random: () => 0 });
    const always = new SimulatedProvisioner({ durationMs: 0, failureRate: 1, random: () => 0.999 });
    await expect(never.provision(request())).resolves.toBeUndefined();
    await expect(always.provision(request())).rejects.toBeInstanceOf(ProvisioningError);
  });
});
