import { randomBytes, randomUUID } from 'node:crypto';
import { getPriority } from 'node:os';
import { createEvent, eventSubject, SiteCreated, type AnyEvent } from '@chom/contracts';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackConfig, startReplicas } from '../stack.mjs';
import { ADMIN_URL, freePort, NATS_URL, threadNiceness } from './harness.js';

const EVENTS = 2_000;
const REPLICAS = 3;

/** Sums `chom_events_consumed_total` samples with the given labels in Prometheus text. */
function consumed(text: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^chom_events_consumed_total\{(.*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const found = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(match[2]);
  }
  return total;
}

// `npm run scale -- audit 3` as a test: three processes of the audit service share the durable
// `audit` consumer; JetStream hands each event to one of them.
describe('scaling a listener service to 3 replicas', () => {
  const id = `scale_${randomBytes(3).toString('hex')}`;
  const config = stackConfig({
    natsUrl: NATS_URL,
    postgresUrl: ADMIN_URL,
    databasePrefix: `chom_e2e_${id}_`,
    space: { stream: `E2E_${id.toUpperCase()}`, events: `e2e_${id}.events`, services: `e2e_${id}.svc` },
    quiet: process.env.E2E_LOGS !== '1',
    extraEnv: { all: { LOG_LEVEL: 'warn' } },
  });
  let group: Awaited<ReturnType<typeof startReplicas>> | undefined;

  beforeAll(async () => {
    const opsPorts = [await freePort(), await freePort(), await freePort()];
    group = await startReplicas(config, 'audit', REPLICAS, { opsPorts });
  });

  afterAll(async () => {
    await group?.stop();
    const nc = await connect({ servers: NATS_URL });
    try {
      await (await jetstreamManager(nc)).streams.delete(config.space.stream).catch(() => undefined);
    } finally {
      await nc.close();
    }
    const admin = postgres(`${ADMIN_URL}/postgres`, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${config.databasePrefix}audit" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  it('records each of 2,000 events exactly once, and every replica handles some', async () => {
    expect(group?.replicas).toHaveLength(REPLICAS);
    const ctx = { tenantId: 't_scale', actor: { id: 'u_scale', type: 'user' as const }, source: 'site' };
    const events: AnyEvent[] = Array.from({ length: EVENTS }, (_, i) =>
      createEvent(
        SiteCreated,
        { ...ctx, correlationId: randomUUID() },
        { siteId: randomUUID(), domain: `s${i}.scale.example.com`, siteType: 'html' },
      ),
    );
    const nc = await connect({ servers: NATS_URL });
    try {
      const js = jetstream(nc);
      // Published straight to the stream (the replicas made it), 200 in flight at a time.
      for (let i = 0; i < events.length; i += 200) {
        await Promise.all(
          events
            .slice(i, i + 200)
            .map((e) => js.publish(eventSubject(config.space, e.tenantId, e.type), JSON.stringify(e), { msgID: e.id })),
        );
      }
    } finally {
      await nc.close();
    }

    const audit = postgres(`${ADMIN_URL}/${config.databasePrefix}audit`, { max: 2, onnotice: () => {} });
    try {
      await expect
        .poll(async () => Number((await audit`SELECT count(*)::int AS n FROM audit_logs`)[0]?.n), {
          timeout: 60_000,
          interval: 200,
        })
        .toBe(EVENTS);
      const [row] = await audit`SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS events FROM audit_logs`;
      expect(row).toEqual({ rows: EVENTS, events: EVENTS });
      const ids = new Set((await audit`SELECT event_id::text AS id FROM audit_logs`).map((r) => r.id as string));
      expect(events.every((e) => ids.has(e.id))).toBe(true);
    } finally {
      await audit.end();
    }

    // Every replica acknowledged some of them; together all of them.
    const perReplica = await Promise.all(
      (group?.replicas ?? []).map(async (r) =>
        consumed(await (await fetch(r.metricsUrl)).text(), { consumer: 'audit', outcome: 'ok' }),
      ),
    );
    console.info(`audit replicas handled ${perReplica.join(' + ')} events`);
    // Replicas of a listener service run at the listeners' niceness, as the stack's own do.
    for (const replica of group?.replicas ?? [])
      expect(new Set(await threadNiceness(replica.child.pid as number))).toEqual(
        new Set([Math.min(getPriority() + config.listenerNice, 19)]),
      );
    for (const handled of perReplica) expect(handled).toBeGreaterThan(0);
    expect(perReplica.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(EVENTS);
  });
});
