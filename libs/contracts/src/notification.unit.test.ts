import { describe, expect, it } from 'vitest';
import { CreateWebhookInput, ListNotificationsQuery } from './rpc/notification.js';
import { createEvent } from './events/create.js';
import { SiteSslExpiring } from './events/site.js';
import { parseEvent } from './events/catalog.js';

const ctx = { tenantId: 't_1', actor: { id: 'system', type: 'system' as const }, source: 'site', correlationId: 'c' };
const siteId = '0190f0d8-6b3a-7cc2-8d43-1a2b3c4d5e6f';

describe('site.ssl_expiring v1', () => {
  it('is in the catalogue and takes whole, non-negative days', () => {
    const data = { siteId, domain: 'a.example.com', daysUntilExpiration: 10, sslExpiresAt: '2030-01-01T00:00:00.000Z' };
    const event = createEvent(SiteSslExpiring, ctx, data);
    expect(parseEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
    expect(() => createEvent(SiteSslExpiring, ctx, { ...data, daysUntilExpiration: -1 })).toThrow();
    expect(() => createEvent(SiteSslExpiring, ctx, { ...data, daysUntilExpiration: 1.5 })).toThrow();
  });
});

describe('notification operations', () => {
  it('accepts http(s) webhook URLs without credentials only', () => {
    expect(CreateWebhookInput.safeParse({ url: 'https://hooks.example.com/x' }).success).toBe(true);
    expect(
      CreateWebhookInput.safeParse({ url: 'http://127.0.0.1:8080/x', eventTypes: ['site.provisioned'] }).success,
    ).toBe(true);
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'https://u:p@example.com/', 'nope']) {
      expect(CreateWebhookInput.safeParse({ url }).success).toBe(false);
    }
  });

  it('reads the unread filter from a query string', () => {
    expect(ListNotificationsQuery.parse({ unread: 'true' })).toEqual({ unread: true, limit: 20 });
    expect(ListNotificationsQuery.parse({ unread: 'false', limit: '5' })).toEqual({ unread: false, limit: 5 });
    expect(ListNotificationsQuery.safeParse({ unread: 'yes' }).success).toBe(false);
  });
});
