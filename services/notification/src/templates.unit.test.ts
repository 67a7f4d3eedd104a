import { describe, expect, it } from 'vitest';
import { createEvent, SiteCreated, SiteProvisioningFailed, SiteSslExpiring, type AnyEvent } from '@chom/contracts';
import { emailAddress } from './delivery/email.js';
import { emailText, isNotified, render } from './templates.js';

const ctx = { tenantId: 't_1', actor: { id: 'u_1', type: 'user' as const }, source: 'test', correlationId: 'c' };
const siteId = '0190f0d8-6b3a-7cc2-8d43-1a2b3c4d5e6f';

describe('templates', () => {
  it('renders one notification per notified type', () => {
    const failed = createEvent(SiteProvisioningFailed, ctx, { siteId, domain: 'a.example.com', errorMessage: 'boom' });
    expect(render(failed as never)).toEqual({
      title: 'Your site could not be set up',
      body: 'Provisioning a.example.com failed: boom',
      severity: 'error',
      actionPath: `/sites/${siteId}`,
    });
    const ssl = (days: number) =>
      render(
        createEvent(SiteSslExpiring, ctx, {
          siteId,
          domain: 'a.example.com',
          daysUntilExpiration: days,
          sslExpiresAt: '2030-01-11T00:00:00.000Z',
        }) as never,
      );
    expect(ssl(10)).toMatchObject({
      title: 'SSL certificate for a.example.com expires in 10 days',
      severity: 'warning',
    });
    expect(ssl(1)).toMatchObject({ title: 'SSL certificate for a.example.com expires in 1 day', severity: 'error' });
    expect(emailText(ssl(10), 'https://panel')).toContain(`https://panel/sites/${siteId}`);
  });

  it('ignores the types it does not notify', () => {
    const created: AnyEvent = createEvent(SiteCreated, ctx, { siteId, domain: 'a.example.com', siteType: 'html' });
    expect(isNotified(created)).toBe(false);
  });

  it('finds an e-mail address from the template or the user id', () => {
    expect(emailAddress('{userId}@example.com', { tenantId: 't', userId: 'u_1' })).toBe('u_1@example.com');
    expect(emailAddress(undefined, { tenantId: 't', userId: 'ann@example.com' })).toBe('ann@example.com');
    expect(emailAddress(undefined, { tenantId: 't', userId: 'u_1' })).toBeUndefined();
    expect(emailAddress('{userId}@example.com', { tenantId: 't', userId: null })).toBeUndefined();
  });
});
