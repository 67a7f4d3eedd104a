import { createEvent, eventSubject, SiteCreated } from '@chom/contracts';
import { randomUUID } from 'node:crypto';
import { sampleEvent } from '@chom/contracts/testing';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditDb } from '../src/db/queries.js';
import { startHarness, type AuditHarness } from './harness.js';

interface FailureRow {
  consumer: string;
  event_id: string | null;
  event_type: string | null;
  tenant_id: string | null;
  payload: string;
  error_code: string;
  error_message: string;
  attempts: { at: string; error: string }[];
  status: string;
}

const dialect = new PgDialect();

/** The rows an insert carries in its JSON parameter. */
function auditRowsOf(query: SQL): { tenant_id: string; event_id: string }[] {
  return dialect
    .sqlToQuery(query)
    .params.flatMap((p) => (typeof p === 'string' && p.startsWith('[') ? (JSON.parse(p) as never[]) : []));
}

// The handler's database fails for one tenant: every try fails, the delivery is retried
// `maxDeliver` times with the backoff, then it is recorded as a failure (dead letter).
describe('audit failures', () => {
  let h: AuditHarness;
  const tries = new Map<string, number>();

  beforeAll(async () => {
    h = await startHarness('failures', {
      db: (real) =>
        new Proxy(real, {
          get(target, property, receiver) {
            if (property !== 'execute') return Reflect.get(target, property, receiver);
            return async (query: SQL) => {
              const rows = auditRowsOf(query);
              const broken = rows.find((row) => row.tenant_id === 't_broken');
              if (broken) {
                // Each try ends with a one-row insert (alone, or after its batch failed).
                if (rows.length === 1) tries.set(broken.event_id, (tries.get(broken.event_id) ?? 0) + 1);
                throw new Error('relation "audit_logs" is unavailable');
              }
              return target.execute(query);
            };
          },
        }) as AuditDb,
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const failures = async (where: string, value: string): Promise<FailureRow[]> =>
    (await h.database.sql`select consumer, event_id, event_type, tenant_id, payload, error_code, error_message,
      attempts, status from processing_failures where ${h.database.sql(where)} = ${value}`) as unknown as FailureRow[];

  it('retries a failing handler, then records the failure with every attempt', async () => {
    const event = sampleEvent({ tenantId: 't_broken' });
    await h.publish(event);
    await expect.poll(async () => (await failures('event_id', event.id)).length, { timeout: 15_000 }).toBe(1);
    const [failure] = await failures('event_id', event.id);
    expect(failure).toMatchObject({
      consumer: 'audit',
      event_type: 'site.created',
      tenant_id: 't_broken',
      error_code: 'HANDLER_FAILED',
      status: 'failed',
    });
    expect(failure?.error_message).toContain('audit_logs');
    expect(failure?.attempts).toHaveLength(3);
    expect(JSON.parse(failure?.payload ?? '{}')).toMatchObject({ id: event.id });
    expect(tries.get(event.id)).toBe(3);
    expect((await h.database.sql`select count(*)::int as n from audit_logs where event_id = ${event.id}`)[0]?.n).toBe(
      0,
    );
  });

  it('keeps recording other tenants while one fails', async () => {
    const event = sampleEvent({ tenantId: 't_fine' });
    await h.publish(event);
    await expect
      .poll(
        async () =>
          (await h.database.sql`select count(*)::int as n from audit_logs where event_id = ${event.id}`)[0]?.n,
        {
          timeout: 10_000,
        },
      )
      .toBe(1);
  });

  it('dead-letters at once a row Postgres refuses, and goes on with the next event', async () => {
    // A real constraint violation through drizzle's error wrapping: retrying cannot help.
    await h.database.sql`alter table audit_logs add constraint test_no_evil check (actor_id <> 'u_evil')`;
    const ctx = { tenantId: 't_evil', source: 'test', correlationId: randomUUID() };
    const siteId = randomUUID();
    const refused = createEvent(
      SiteCreated,
      { ...ctx, actor: { id: 'u_evil', type: 'user' } },
      {
        siteId,
        domain: 'evil.example.com',
        siteType: 'html',
      },
    );
    const next = createEvent(
      SiteCreated,
      { ...ctx, actor: { id: 'u_good', type: 'user' } },
      {
        siteId,
        domain: 'evil.example.com',
        siteType: 'html',
      },
    );
    await h.publish(refused);
    await h.publish(next);
    await expect.poll(async () => (await failures('event_id', refused.id)).length, { timeout: 10_000 }).toBe(1);
    const [failure] = await failures('event_id', refused.id);
    expect(failure).toMatchObject({ error_code: 'AUDIT_ENTRY_REJECTED', status: 'failed' });
    expect(failure?.error_message).toContain('23514');
    expect(failure?.attempts.length).toBeLessThanOrEqual(1);
    await expect
      .poll(
        async () => (await h.database.sql`select count(*)::int as n from audit_logs where event_id = ${next.id}`)[0]?.n,
        {
          timeout: 10_000,
        },
      )
      .toBe(1);
  });

  it('dead-letters an invalid payload at once, without retrying', async () => {
    const subject = eventSubject(h.space, 't_garbage', 'site.created');
    const invalid = { ...sampleEvent({ tenantId: 't_garbage' }), data: { siteId: 'not-a-uuid' } };
    await h.publishRaw(subject, JSON.stringify(invalid));
    await h.publishRaw(subject, '{not json');
    await expect.poll(async () => (await failures('tenant_id', 't_garbage')).length, { timeout: 10_000 }).toBe(1);
    const [contract] = await failures('tenant_id', 't_garbage');
    expect(contract).toMatchObject({ error_code: 'VALIDATION_FAILED', event_id: invalid.id, status: 'failed' });
    expect(contract?.attempts.length).toBeLessThanOrEqual(1);

    await expect.poll(async () => (await failures('payload', '{not json')).length, { timeout: 10_000 }).toBe(1);
    const [broken] = await failures('payload', '{not json');
    expect(broken?.error_code).toBe('INVALID_JSON');
  });
});
