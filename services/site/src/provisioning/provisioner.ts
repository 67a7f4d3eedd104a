import type { SiteType } from '@chom/contracts';

export interface ProvisionRequest {
  siteId: string;
  tenantId: string;
  domain: string;
  siteType: SiteType;
  vpsId: string;
}

/**
 * Sets a site up on its server. Resolves when the site serves; throws `ProvisioningError`
 * when it cannot be provisioned (the site fails), anything else when a retry may help.
 */
export interface Provisioner {
  provision(request: ProvisionRequest): Promise<void>;
}

/** The provisioning itself failed: the site is marked failed and its server released, no retry. */
export class ProvisioningError extends Error {
  override readonly name = 'ProvisioningError';
  readonly code = 'PROVISIONING_FAILED';
  /** Where it failed, safe to publish (never secrets). */
  readonly trace: string | undefined;

  constructor(message: string, options: { trace?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.trace = options.trace;
  }
}
