import { randomUUID } from 'node:crypto';
import { AppError, AuditOps, BackupFailed, createEvent, type AuditEntry, type AuditQuery } from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import { createDatabase, runMigrations, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';
import { captureLogger } from '@chom/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../src/db/migrations.js';
import { queryAuditEndpoint } from '../src/endpoints/query-audit.js';
import { recordAudit } from '../src/handlers/record-audit.js';
import { createAuditWriter } from '../src/db/audit-writer.js';
import { insertAuditEntries } from '../src/db/queries.js';
import { siteLife } from './fixtures.js';

// The handler and the query endpoint against a real, migrated database (no NATS: the
// endpoint's handler is called directly; the service test goes through NATS).
describe('audit log in Postgres', () => {
  let testDb: TestDatabase;
  let database: Database;
  const { logger } = captureLogger('audit');
  let writer: ReturnType<typeof createAuditWriter>;
  const deps = () => ({ writer, logger });

  beforeAll(async () => {
    testDb = await createTestDatabase('audit_query');
    database = createDatabase({ url: testDb.url, max: 4, applicationName: 'audit-test' });
    await runMigrations(database, MIGRATIONS_FOLDER);
    writer = createAuditWriter((entries) => insertAuditEntries(database.db, entries));
  });
  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
  });

  async function query(tenantId: string, q: Partial<AuditQuery> & Record<string, unknown> = {}) {
    const request = AuditOps.query.request.parse({
      ctx: { tenantId, actor: { id: 'u_1', type: 'user' }, correlationId: 'c' },
      query: q,
    });
    return AuditOps.query.response.parse(await queryAuditEndpoint({ db: database.db }).handler(request));
  }

  async function all(tenantId: string, q: Partial<AuditQuery> = {}): Promise<{ pages: number; items: AuditEntry[] }> {
    const items: AuditEntry[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await query(tenantId, { ...q, ...(cursor ? { cursor } : {}) });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    return { pages, items };
  }

  it('applies the migrations again without error (a second replica starting)', async () => {
    await runMigrations(database, MIGRATIONS_FOLDER);
  });

  it('records an event once however often it is handled', async () => {
    const event = sampleEvent({ tenantId: 't_once' });
    await Promise.all([recordAudit(event, deps()), recordAudit(event, deps())]);
    await recordAudit(event, deps());
    const rows = await database.sql`select event_id, action, severity, resource_type, resource_id, actor_id, actor_type,
      tenant_id, event_version, correlation_id, metadata from audit_logs where tenant_id = 't_once'`;
    expect(rows).toEqual([
      {
        event_id: event.id,
        action: 'site.created',
        severity: 'info',
        resource_type: 'site',
        resource_id: event.data.siteId,
        actor_id: 'u_test',
        actor_type: 'user',
        tenant_id: 't_once',
        event_version: 1,
        correlation_id: event.correlationId,
        metadata: { source: 'test', correlationId: event.correlationId, causationId: null, data: event.data },
      },
    ]);
  });

  it('records an event whose texts hold NUL, which Postgres text cannot store', async () => {
    const event = createEvent(
      BackupFailed,
      { tenantId: 't_nul', actor: { id: 'u_\u0000', type: 'user' }, source: 'backup', correlationId: 'c\u0000' },
      { backupId: randomUUID(), siteId: randomUUID(), backupType: 'files', errorMessage: 'tar: \u0000' },
    );
    await recordAudit(event, deps());
    const [entry] = (await query('t_nul')).items;
    expect(entry).toMatchObject({
      eventId: event.id,
      actorId: 'u_\uFFFD',
      metadata: { data: { errorMessage: 'tar: \uFFFD' } },
    });
  });

  it('records an actor id holding a lone surrogate, as U+FFFD', async () => {
    const event = { ...sampleEvent({ tenantId: 't_surrogate' }), actor: { id: 'u_\uD800', type: 'user' as const } };
    await recordAudit(event, deps());
    const [entry] = (await query('t_surrogate')).items;
    expect(entry).toMatchObject({ eventId: event.id, actorId: 'u_\uFFFD' });
  });

  it('refuses to change or remove audit rows', async () => {
    await recordAudit(sampleEvent({ tenantId: 't_frozen' }), deps());
    await expect(database.sql`update audit_logs set action = 'x' where tenant_id = 't_frozen'`).rejects.toThrow(
      /append-only/,
    );
    await expect(database.sql`delete from audit_logs where tenant_id = 't_frozen'`).rejects.toThrow(/append-only/);
    await expect(database.sql`truncate audit_logs`).rejects.toThrow(/append-only/);
    expect((await database.sql`select count(*)::int as n from audit_logs where tenant_id = 't_frozen'`)[0]?.n).toBe(1);
  });

  describe('query', () => {
    const start = new Date('2025-06-01T10:00:00.000Z');
    const siteA = randomUUID();
    const siteB = randomUUID();

    beforeAll(async () => {
      const events = [
        ...siteLife('t_alpha', start, siteA),
        ...siteLife('t_alpha', new Date(start.getTime() + 60_000), siteB),
        ...siteLife('t_beta', start),
      ];
      // Several entries at the same instant, so that the cursor's id tie-break is exercised.
      const sameInstant = Array.from({ length: 7 }, () => sampleEvent({ tenantId: 't_alpha' })).map((e) => ({
        ...e,
        occurredAt: '2025-06-01T10:00:30.000Z',
      }));
      for (const event of [...events, ...sameInstant]) await recordAudit(event, deps());
    });

    it('returns only the caller tenant, newest first', async () => {
      const { items } = await all('t_alpha', { limit: 100 });
      expect(items).toHaveLength(17);
      expect(new Set(items.map((i) => i.tenantId))).toEqual(new Set(['t_alpha']));
      const keys = items.map((i) => `${i.occurredAt}|${i.id}`);
      expect(keys).toEqual([...keys].sort().reverse());
      expect((await all('t_beta')).items).toHaveLength(5);
      expect((await all('t_nobody')).items).toEqual([]);
    });

    it('pages through everything without duplicates or gaps', async () => {
      const whole = (await all('t_alpha', { limit: 100 })).items.map((i) => i.id);
      for (const limit of [1, 2, 3, 5, 16, 17]) {
        const { items, pages } = await all('t_alpha', { limit });
        expect(items.map((i) => i.id)).toEqual(whole);
        expect(pages).toBe(Math.ceil(17 / limit));
      }
    });

    it('filters by resource, action, severity and time range', async () => {
      const bySite = await all('t_alpha', { resourceType: 'site', resourceId: siteA });
      expect(bySite.items.map((i) => i.action)).toEqual(['site.deleted', 'site.provisioned', 'site.created']);

      const failures = await all('t_alpha', { severity: 'error' });
      expect(failures.items.map((i) => i.action)).toEqual(['backup.failed', 'backup.failed']);
      expect(failures.items[0]?.metadata).toMatchObject({ data: { errorMessage: 'disk full' } });

      const deletions = await all('t_alpha', { action: 'site.deleted' });
      expect(deletions.items.map((i) => [i.resourceId, i.severity])).toEqual([
        [siteB, 'warning'],
        [siteA, 'warning'],
      ]);

      const window = await all('t_alpha', { from: '2025-06-01T10:00:01.000Z', to: '2025-06-01T10:00:03.000Z' });
      expect(window.items.map((i) => i.action)).toEqual(['backup.failed', 'backup.completed', 'site.provisioned']);

      const backups = await all('t_alpha', { resourceType: 'backup', limit: 1 });
      expect(backups.items.map((i) => i.action)).toEqual([
        'backup.failed',
        'backup.completed',
        'backup.failed',
        'backup.completed',
      ]);
    });

    it('never shows another tenant a resource, even by its id', async () => {
      expect((await all('t_beta', { resourceId: siteA })).items).toEqual([]);
    });

    it('rejects a cursor it did not make', async () => {
      const error = await query('t_alpha', { cursor: 'bm90LWEtY3Vyc29y' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('VALIDATION_FAILED');
    });
  });
});
