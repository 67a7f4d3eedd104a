import { randomUUID } from 'node:crypto';
import { AuditEntry, BackupFailed, SiteDeleted, createEvent, uuidv7 } from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import { describe, expect, it } from 'vitest';
import type { AuditLogRow } from './db/schema.js';
import { presentAuditEntry, toAuditEntry, withoutNul } from './audit-entry.js';

const context = {
  tenantId: 't_acme',
  actor: { id: 'u_1', type: 'user' as const },
  source: 'backup',
  correlationId: 'corr-1',
  causationId: 'cause-1',
};

describe('toAuditEntry', () => {
  it('maps a site event to its resource, actor, severity and metadata', () => {
    const siteId = randomUUID();
    const event = sampleEvent({ tenantId: 't_acme', siteId, domain: 'acme.example' });
    expect(toAuditEntry(event)).toEqual({
      eventId: event.id,
      action: 'site.created',
      eventVersion: 1,
      tenantId: 't_acme',
      actorId: 'u_test',
      actorType: 'user',
      resourceType: 'site',
      resourceId: siteId,
      severity: 'info',
      metadata: {
        source: 'test',
        correlationId: event.correlationId,
        causationId: null,
        data: { siteId, domain: 'acme.example', siteType: 'wordpress' },
      },
      correlationId: event.correlationId,
      occurredAt: new Date(event.occurredAt),
    });
  });

  it('uses the backup as the resource of a backup event and files failures as errors', () => {
    const backupId = randomUUID();
    const siteId = randomUUID();
    const event = createEvent(BackupFailed, context, {
      backupId,
      siteId,
      backupType: 'full',
      errorMessage: 'disk full',
    });
    const entry = toAuditEntry(event);
    expect(entry).toMatchObject({ resourceType: 'backup', resourceId: backupId, severity: 'error' });
    expect(entry.metadata).toEqual({
      source: 'backup',
      correlationId: 'corr-1',
      causationId: 'cause-1',
      data: { backupId, siteId, backupType: 'full', errorMessage: 'disk full' },
    });
  });

  it('files a deletion as a warning', () => {
    const siteId = randomUUID();
    const event = createEvent(SiteDeleted, context, { siteId, tenantId: 't_acme', domain: 'acme.example' });
    expect(toAuditEntry(event)).toMatchObject({ action: 'site.deleted', resourceId: siteId, severity: 'warning' });
  });

  it('keeps occurredAt to the millisecond whatever its offset', () => {
    const event = { ...sampleEvent(), occurredAt: '2025-01-02T03:04:05.678912+02:00' };
    expect(toAuditEntry(event).occurredAt.toISOString()).toBe('2025-01-02T01:04:05.678Z');
  });
});

describe('presentAuditEntry', () => {
  it('returns a row as a valid AuditEntry', () => {
    const event = sampleEvent();
    const row: AuditLogRow = {
      ...toAuditEntry(event),
      actorId: 'u_test',
      id: uuidv7(),
      recordedAt: new Date('2025-01-01T00:00:01.000Z'),
    };
    const entry = presentAuditEntry(row);
    expect(AuditEntry.parse(entry)).toEqual(entry);
    expect(entry).toMatchObject({ id: row.id, eventId: event.id, recordedAt: '2025-01-01T00:00:01.000Z' });
  });
});

describe('withoutNul', () => {
  it('replaces NUL in strings, keys and nested values, leaving the rest as is', () => {
    expect(withoutNul({ 'a\u0000': ['x\u0000y', 1, null, { b: 'ok' }], n: 2, t: true })).toEqual({
      'a\uFFFD': ['x\uFFFDy', 1, null, { b: 'ok' }],
      n: 2,
      t: true,
    });
  });

  it('keeps an event with NUL in its error text recordable', () => {
    const event = createEvent(
      BackupFailed,
      { ...context, correlationId: 'c\u0000' },
      {
        backupId: randomUUID(),
        siteId: randomUUID(),
        backupType: 'full',
        errorMessage: 'tar: \u0000 in name',
      },
    );
    const entry = toAuditEntry(event);
    expect(JSON.stringify(entry)).not.toContain('\\u0000');
    expect(entry.correlationId).toBe('c\uFFFD');
    expect(entry.metadata).toMatchObject({ data: { errorMessage: 'tar: \uFFFD in name' } });
  });
});
