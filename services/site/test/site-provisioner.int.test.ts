import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { eventSubject, SiteOps } from '@chom/contracts';
import { pgFailureStore } from '@chom/db';
import { ensureConsumer, startListener, type Listener } from '@chom/messaging';
import { acceptsSiteCreated, buildProvisionHandler, siteProvisionerSpec } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { ProvisionRequest } from '../src/provisioning/provisioner.js';
import { SimulatedProvisioner } from '../src/provisioning/simulated-provisioner.js';
import { ctx, startHarness, uniqueDomain, type Harness } from './harness.js';

const simulated = new SimulatedProvisioner({ durationMs: 20, failureRate: 0, failDomains: /^fail-/ });
const flaky = new Set<string>();
let h: Harness;
let listener: Listener;

beforeAll(async () => {
  h = await startHarness({
    provisioner: {
      // Domains in `flaky` fail once with a transient error, then provision.
      async provision(request: ProvisionRequest) {
        if (flaky.delete(request.domain)) throw new Error('transient: provisioning API timed out');
        await simulated.provision(request);
      },
    },
  });
  const config = loadConfig({
    EVENTS_STREAM: h.space.stream,
    EVENTS_SUBJECT_ROOT: h.space.events,
    SERVICES_SUBJECT_ROOT: h.space.services,
    SITE_PROVISIONER_BACKOFF_MS: '20',
    SITE_PROVISIONER_ACK_WAIT_MS: '5000',
  });
  const spec = siteProvisionerSpec(config);
  await ensureConsumer(h.jsm, h.space.stream, spec, h.logger);
  listener = await startListener({
    js: jetstream(h.nc),
    stream: h.space.stream,
    spec,
    handle: buildProvisionHandler(h.deps),
    accepts: acceptsSiteCreated,
    failures: pgFailureStore(h.database.sql),
    logger: h.logger,
  });
});

afterAll(async () => {
  await listener?.drain();
  await h?.close();
});

const tenant = ctx('t_listen');
const get = (siteId: string) => h.call(SiteOps.get, { ctx: tenant, siteId });

async function published(type: 'site.provisioned' | 'site.provisioning_failed', siteId: string) {
  const stored = await h.jsm.streams.getMessage(h.space.stream, {
    last_by_subj: eventSubject(h.space, tenant.tenantId, type),
  });
  const event = stored?.json<{ id: string; data: { siteId: string } }>();
  return event?.data.siteId === siteId ? { event, msgId: stored?.header.get('Nats-Msg-Id') } : undefined;
}

describe('site-provisioner listener', () => {
  it('provisions a created site end to end: endpoint -> outbox -> stream -> listener -> active', async () => {
    expect(listener.ready()).toBe(true);
    const site = await h.call(SiteOps.create, { ctx: tenant, domain: uniqueDomain('live'), siteType: 'html' });
    await expect.poll(async () => (await get(site.id)).status, { timeout: 10_000 }).toBe('active');
    const created = await h.createdEvent(site.id);
    await expect.poll(() => published('site.provisioned', site.id), { timeout: 10_000 }).toBeDefined();
    const { event, msgId } = (await published('site.provisioned', site.id)) ?? {};
    expect(msgId).toBe(event?.id);
    expect(event).toMatchObject({ causationId: created.id, correlationId: tenant.correlationId });
  });

  it('fails a site whose provisioning fails and publishes site.provisioning_failed', async () => {
    const site = await h.call(SiteOps.create, { ctx: tenant, domain: uniqueDomain('fail-live'), siteType: 'php' });
    await expect.poll(async () => (await get(site.id)).status, { timeout: 10_000 }).toBe('failed');
    await expect.poll(() => published('site.provisioning_failed', site.id), { timeout: 10_000 }).toBeDefined();
    expect((await get(site.id)).vpsId).toBeNull();
  });

  it('retries a transient error with the listener backoff and then provisions', async () => {
    const domain = uniqueDomain('flaky');
    flaky.add(domain);
    const site = await h.call(SiteOps.create, { ctx: tenant, domain, siteType: 'laravel' });
    await expect.poll(async () => (await get(site.id)).status, { timeout: 10_000 }).toBe('active');
    expect(flaky.has(domain)).toBe(false);
    expect((await h.vps('vps-1'))?.allocated).toBe(2);
  });
});
