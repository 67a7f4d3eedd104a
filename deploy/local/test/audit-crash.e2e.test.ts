import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, mapLimit, startTestStack } from './harness.js';

const SITES = 300;

// The audit service dies with SIGKILL (no shutdown handler runs) while sites are being
// created, and comes back: its durable consumer resumes where the acks stopped, and the
// unique event id makes a redelivered event a no-op.
describe('audit service killed under load', () => {
  let env: Awaited<ReturnType<typeof startTestStack>>;

  beforeAll(async () => {
    env = await startTestStack('auditkill', {
      site: {
        PROVISION_DURATION_MS: '5',
        VPS_POOL: `vps-a:${SITES},vps-b:${SITES}`,
        SITE_PROVISIONER_CONCURRENCY: '16',
      },
      audit: { AUDIT_ACK_WAIT_MS: '2000', AUDIT_BACKOFF_MS: '200' },
    });
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('records every event exactly once', async () => {
    const call = api(env.stack, await env.stack.token({ tenant: 't_kill' }));
    let killedAt = -1;
    const restart = (async () => {
      while (killedAt < 0) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 500));
      await env.stack.startService('audit');
    })();

    const statuses = await mapLimit(
      Array.from({ length: SITES }, (_, i) => i),
      8,
      async (i) => {
        if (i === 100) {
          const result = await env.stack.kill('audit');
          expect(result?.signal).toBe('SIGKILL');
          killedAt = i;
        }
        const response = await call('POST', '/api/v1/sites', {
          domain: `site-${i}.kill.example.com`,
          siteType: 'html',
        });
        return response.status;
      },
    );
    await restart;
    expect(statuses.filter((s) => s === 201)).toHaveLength(SITES);

    // site.created + site.provisioned for every site
    const expected = SITES * 2;
    const audit = env.sql('audit');
    try {
      await expect
        .poll(async () => Number((await audit`SELECT count(*)::int AS n FROM audit_logs`)[0]?.n), {
          timeout: 60_000,
          interval: 250,
        })
        .toBe(expected);
      const [row] = await audit`SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS events FROM audit_logs`;
      expect(row).toEqual({ rows: expected, events: expected });
      const perAction = await audit`SELECT action, count(*)::int AS n FROM audit_logs GROUP BY action ORDER BY action`;
      expect(perAction.map((r) => [r.action, r.n])).toEqual([
        ['site.created', SITES],
        ['site.provisioned', SITES],
      ]);
    } finally {
      await audit.end();
    }
  });
});
