import { randomUUID } from 'node:crypto';
import { AppError, AuditOps, SiteProvisioned, createEvent, type AuditEntry } from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import { natsReady, requestOperation } from '@chom/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, siteLife } from './fixtures.js';
import { startHarness, type AuditHarness } from './harness.js';

// Events published to the test stream, through the real listener, into the audit log, and
// read back through the real `audit.query` endpoint over NATS.
describe('audit service', () => {
  let h: AuditHarness;

  beforeAll(async () => {
    h = await startHarness('service');
  });
  afterAll(async () => {
    await h?.stop();
  });

  const count = async (where: { tenantId?: string; eventId?: string }) => {
    const rows = await h.database.sql`select count(*)::int as n from audit_logs
      where (${where.tenantId ?? null}::text is null or tenant_id = ${where.tenantId ?? null})
        and (${where.eventId ?? null}::uuid is null or event_id = ${where.eventId ?? null}::uuid)`;
    return rows[0]?.n as number;
  };

  const query = (tenantId: string, q: Record<string, unknown> = {}) =>
    requestOperation(h.nc, h.space, AuditOps.query, {
      ctx: { tenantId, actor: { id: 'u_1', type: 'user' }, correlationId: randomUUID() },
      query: q,
    });

  it('is ready once started', async () => {
    expect(h.audit.listener.ready()).toBe(true);
    expect(await natsReady(h.nc)).toBe(true);
  });

  it('records published events with their fields', async () => {
    const siteId = randomUUID();
    const events = siteLife('t_svc', new Date('2025-05-01T00:00:00.000Z'), siteId);
    for (const e of events) await h.publish(e);
    await expect.poll(() => count({ tenantId: 't_svc' }), { timeout: 10_000 }).toBe(events.length);

    const page = await query('t_svc', { resourceId: siteId });
    expect(page.items.map((i) => i.action)).toEqual(['site.deleted', 'site.provisioned', 'site.created']);
    const deleted = page.items[0] as AuditEntry;
    const source = events[4]!;
    expect(deleted).toMatchObject({
      eventId: source.id,
      tenantId: 't_svc',
      actorId: 'u_1',
      actorType: 'user',
      resourceType: 'site',
      resourceId: siteId,
      severity: 'warning',
      correlationId: source.correlationId,
      occurredAt: source.occurredAt,
      metadata: { source: 'test', correlationId: source.correlationId, causationId: null, data: source.data },
    });
    expect(page.items[1]).toMatchObject({ actorId: 'system', actorType: 'system', severity: 'info' });
  });

  it('keeps one row for an event delivered twice', async () => {
    const event = sampleEvent({ tenantId: 't_dup' });
    // Different message ids, so the stream's duplicate window does not drop the second copy.
    await h.publish(event, randomUUID());
    await h.publish(event, randomUUID());
    // A later event of the same site: the listener handles one site's events in order, so
    // once this one is recorded both copies have been handled.
    const after = createEvent(SiteProvisioned, context('t_dup'), {
      siteId: event.data.siteId,
      domain: event.data.domain,
      vpsId: 'vps-1',
      durationSeconds: 1,
    });
    await h.publish(after);
    await expect.poll(() => count({ eventId: after.id }), { timeout: 10_000 }).toBe(1);
    expect(await count({ eventId: event.id })).toBe(1);
    expect(await count({ tenantId: 't_dup' })).toBe(2);
  });

  it('answers queries for the caller tenant only, page by page', async () => {
    const start = new Date('2025-05-02T00:00:00.000Z');
    const mine = [...siteLife('t_pages', start), ...siteLife('t_pages', start), ...siteLife('t_pages', start)];
    const theirs = siteLife('t_other', start);
    for (const e of [...mine, ...theirs]) await h.publish(e);
    await expect.poll(() => count({ tenantId: 't_pages' }), { timeout: 10_000 }).toBe(mine.length);
    await expect.poll(() => count({ tenantId: 't_other' }), { timeout: 10_000 }).toBe(theirs.length);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof query>> = await query('t_pages', {
        limit: 4,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.items.length).toBeLessThanOrEqual(4);
      expect(page.items.every((i) => i.tenantId === 't_pages')).toBe(true);
      seen.push(...page.items.map((i) => i.eventId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(mine.length);
    expect(new Set(seen)).toEqual(new Set(mine.map((e) => e.id)));

    const errors = await query('t_pages', { severity: 'error', limit: 100 });
    expect(errors.items).toHaveLength(3);
    expect(errors.items.every((i) => i.action === 'backup.failed')).toBe(true);
  });

  it('answers an invalid cursor or filter with VALIDATION_FAILED', async () => {
    for (const q of [
      { cursor: 'garbage!' },
      { severity: 'loud' },
      { from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z' },
    ]) {
      const error = await query('t_pages', q).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('VALIDATION_FAILED');
    }
  });
});
