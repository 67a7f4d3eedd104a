import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ContractError,
  SiteCreated,
  SiteOps,
  aggregateKey,
  createEvent,
  eventSubject,
  parseEvent,
  parseEventSubject,
  renderEventJsonSchema,
  uuidv7,
  uuidv7Floor,
} from './index.js';

const ctx = { tenantId: 't_42', actor: { id: 'u_1', type: 'user' as const }, source: 'site', correlationId: 'c-1' };
const siteId = '0190b6a4-7f2e-7c3a-9d4b-2a1f3e5d6c7b';

describe('events', () => {
  it('creates a valid site.created event with a UUID v7 id', () => {
    const event = createEvent(SiteCreated, ctx, { siteId, domain: 'shop.example.com', siteType: 'wordpress' });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
    expect(aggregateKey(event)).toBe(`site:${siteId}`);
  });

  it('rejects an invalid payload, an unknown field and an unknown version with ContractError', () => {
    const event = createEvent(SiteCreated, ctx, { siteId, domain: 'a.example.com', siteType: 'html' });
    expect(() => parseEvent({ ...event, data: { ...event.data, domain: 'not a domain' } })).toThrow(ContractError);
    expect(() => parseEvent({ ...event, data: { ...event.data, password: 'x' } })).toThrow(ContractError);
    expect(() => parseEvent({ ...event, version: 9 })).toThrow(/unknown event type or version: site.created v9/);
    expect(() => createEvent(SiteCreated, ctx, { siteId: 'nope', domain: 'a.example.com', siteType: 'html' })).toThrow(
      ContractError,
    );
  });

  it('orders UUID v7 ids by time', () => {
    expect(uuidv7(1000) < uuidv7(2000)).toBe(true);
  });

  it('draws fresh random bits for every id, across refills of its random pool', () => {
    const at = Date.UTC(2026, 0, 1);
    const ids = Array.from({ length: 5_000 }, () => uuidv7(at));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^019b76da-a800-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('subjects', () => {
  it('builds and parses event subjects', () => {
    const subject = eventSubject({ events: 'events' }, 't_42', 'site.created');
    expect(subject).toBe('events.t_42.site.created');
    expect(parseEventSubject({ events: 'events' }, subject)).toEqual({
      tenantId: 't_42',
      aggregate: 'site',
      action: 'created',
    });
    expect(parseEventSubject({ events: 'events' }, 'other.t_42.site.created')).toBeUndefined();
    expect(() => eventSubject({ events: 'events' }, 't.42', 'site.created')).toThrow();
    expect(() => eventSubject({ events: 'events' }, '*', 'site.created')).toThrow();
  });
});

describe('requests', () => {
  it('normalises domains and rejects unknown fields', () => {
    const rctx = { tenantId: ctx.tenantId, actor: ctx.actor, correlationId: ctx.correlationId };
    const req = SiteOps.create.request.parse({ ctx: rctx, domain: ' Shop.Example.COM ', siteType: 'wordpress' });
    expect(req.domain).toBe('shop.example.com');
    expect(
      SiteOps.create.request.safeParse({ ctx: rctx, domain: 'x.com', siteType: 'wordpress', extra: 1 }).success,
    ).toBe(false);
    for (const bad of ['localhost', '-a.com', 'a..com', 'a.123', 'exa mple.com', `${'a'.repeat(64)}.com`]) {
      expect(SiteOps.create.request.safeParse({ ctx: rctx, domain: bad, siteType: 'wordpress' }).success, bad).toBe(
        false,
      );
    }
  });
});

describe('generated JSON Schema', () => {
  it('is up to date (run `npm run generate -w @chom/contracts`)', () => {
    const checkedIn = readFileSync(new URL('../generated/events.schema.json', import.meta.url), 'utf8');
    expect(checkedIn).toBe(renderEventJsonSchema());
  });
});

describe('uuidv7Floor', () => {
  it('sorts below every UUID v7 of an earlier millisecond and above none of a later one', () => {
    const at = Date.parse('2026-12-06T12:00:00.000Z');
    const floor = uuidv7Floor(at);
    expect(floor).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-0000-0000-000000000000$/);
    for (let i = 0; i < 50; i += 1) {
      expect(uuidv7(at - 1 - i * 997) < floor).toBe(true);
      expect(uuidv7(at + i * 997) > floor).toBe(true);
    }
  });
});
