import { SiteOps } from '@chom/contracts';
import { endpoint } from '@chom/messaging';
import type { SiteDeps } from '../deps.js';
import { checkSslExpiry } from '../ssl/check-ssl-expiry.js';

/** The daily check on demand (operators, tests); the gateway does not route it. */
export function checkSslExpiryEndpoint(deps: SiteDeps) {
  return endpoint(SiteOps.checkSslExpiry, async () => ({ emitted: await checkSslExpiry(deps) }));
}
