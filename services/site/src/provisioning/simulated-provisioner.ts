import { setTimeout as sleep } from 'node:timers/promises';
import { ProvisioningError, type ProvisionRequest, type Provisioner } from './provisioner.js';

export interface SimulatedProvisionerOptions {
  durationMs: number;
  /** Share of provisionings that fail, 0..1. */
  failureRate: number;
  /** Domains matching it always fail: deterministic failures for tests and demos. */
  failDomains?: RegExp | undefined;
  random?: () => number;
  wait?: (ms: number) => Promise<unknown>;
}

/** Stands in for the real provisioning: takes `durationMs`, fails as configured. */
export class SimulatedProvisioner implements Provisioner {
  readonly #options: Required<Omit<SimulatedProvisionerOptions, 'failDomains'>> & { failDomains?: RegExp | undefined };

  constructor(options: SimulatedProvisionerOptions) {
    this.#options = { random: Math.random, wait: sleep, ...options };
  }

  async provision(request: ProvisionRequest): Promise<void> {
    const { durationMs, failureRate, failDomains, random, wait } = this.#options;
    if (durationMs > 0) await wait(durationMs);
    if (failDomains?.test(request.domain)) {
      throw new ProvisioningError(`Provisioning ${request.domain} failed`, {
        trace: `simulated failure: domain matches ${failDomains.source} (vps ${request.vpsId})`,
      });
    }
    if (failureRate > 0 && random() < failureRate) {
      throw new ProvisioningError(`Provisioning ${request.domain} failed`, {
        trace: `simulated failure: failure rate ${failureRate} (vps ${request.vpsId})`,
      });
    }
  }
}
