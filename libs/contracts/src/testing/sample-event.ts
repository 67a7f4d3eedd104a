import { randomUUID } from 'node:crypto';
import { createEvent } from '../events/create.js';
import { SiteCreated } from '../events/site.js';
import type { SiteCreated as SiteCreatedEvent } from '../events/site.js';

/** A valid `site.created` event for tests; pass fields to override. */
export function sampleEvent(overrides: { tenantId?: string; siteId?: string; domain?: string } = {}): SiteCreatedEvent {
  return createEvent(
    SiteCreated,
    {
      tenantId: overrides.tenantId ?? 't_test',
      actor: { id: 'u_test', type: 'user' },
      source: 'test',
      correlationId: randomUUID(),
    },
    { siteId: overrides.siteId ?? randomUUID(), domain: overrides.domain ?? 'example.com', siteType: 'wordpress' },
  );
}
