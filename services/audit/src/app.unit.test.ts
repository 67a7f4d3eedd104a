import { captureLogger } from '@chom/telemetry/testing';
import { describe, expect, it } from 'vitest';
import { AUDIT_LISTENER, auditListenerSpec, buildApp } from './app.js';
import { loadConfig } from './config.js';
import type { AuditDb } from './db/queries.js';

describe('audit app', () => {
  const { listener } = loadConfig({});

  it('listens to every event of the space on the durable "audit" consumer, with the seed policy', () => {
    expect(auditListenerSpec({ events: 'events' }, listener)).toEqual({
      name: AUDIT_LISTENER,
      filterSubject: 'events.>',
      maxDeliver: 3,
      backoffMs: [60_000],
      ackWaitMs: 30_000,
      concurrency: 1,
      maxAckPending: 1_000,
      batchSize: 100,
    });
    expect(auditListenerSpec({ events: 't1.events' }, listener).filterSubject).toBe('t1.events.>');
  });

  it('serves audit.query', () => {
    const app = buildApp({ db: {} as AuditDb, logger: captureLogger().logger }, { events: 'events' }, listener);
    expect(app.endpoints.map((e) => `${e.operation.service}.${e.operation.name}`)).toEqual(['audit.query']);
  });
});
