import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, mapLimit, NATS_URL, startTestStack } from './harness.js';

const SITES = 25;

// The site service commits sites and their events, then dies before its relay publishes
// them (the relay is held off, as when a pod dies right after the commit). On restart the
// relay publishes every committed event once; nothing is lost and no consumer sees one twice.
describe('site service killed between commit and publish', () => {
  let env: Awaited<ReturnType<typeof startTestStack>>;

  beforeAll(async () => {
    env = await startTestStack('outbox', {
      site: { OUTBOX_RELAY: 'off', PROVISION_DURATION_MS: '5', VPS_POOL: `vps-1:${SITES * 2}` },
    });
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('publishes every committed event exactly once after the restart', async () => {
    const call = api(env.stack, await env.stack.token({ tenant: 't_outbox' }));
    const ids = await mapLimit(
      Array.from({ length: SITES }, (_, i) => i),
      5,
      async (i) => {
        const response = await call('POST', '/api/v1/sites', { domain: `o-${i}.outbox.example.com`, siteType: 'php' });
        expect(response.status).toBe(201);
        return (response.body as { id: string }).id;
      },
    );

    const site = env.sql('site');
    const nc = await connect({ servers: NATS_URL });
    try {
      const unsent = async () =>
        Number((await site`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`)[0]?.n);
      expect(await unsent()).toBe(SITES);
      expect((await env.stack.kill('site'))?.signal).toBe('SIGKILL');

      env.config.extraEnv.site = { ...env.config.extraEnv.site, OUTBOX_RELAY: 'on' };
      await env.stack.startService('site');

      await expect.poll(unsent, { timeout: 20_000, interval: 100 }).toBe(0);
      const jsm = await jetstreamManager(nc);
      const countOf = async (action: string) => {
        const info = await jsm.streams.info(env.config.space.stream, {
          subjects_filter: `${env.config.space.events}.*.site.${action}`,
        });
        return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
      };
      await expect.poll(() => countOf('provisioned'), { timeout: 20_000, interval: 100 }).toBe(SITES);
      expect(await countOf('created')).toBe(SITES);

      const audit = env.sql('audit');
      try {
        await expect
          .poll(async () => Number((await audit`SELECT count(*)::int AS n FROM audit_logs`)[0]?.n), { timeout: 20_000 })
          .toBe(SITES * 2);
        const [row] =
          await audit`SELECT count(DISTINCT event_id)::int AS n FROM audit_logs WHERE resource_id = ANY(${ids})`;
        expect(row?.n).toBe(SITES * 2);
      } finally {
        await audit.end();
      }
    } finally {
      await site.end();
      await nc.close();
    }
  });
});
