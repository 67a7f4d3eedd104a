import type { Site } from '@chom/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyStoreKey } from '../src/idempotency/fingerprint.js';
import { bearer, gate, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function create(tenant: string, key: string | undefined, body: Record<string, unknown>) {
  return h.app.inject({
    method: 'POST',
    url: '/api/v1/sites',
    headers: { ...(await bearer(tenant)), ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: body,
  });
}

const createCalls = () => h.stubs.calls.filter((c) => c.op === 'site.create').length;

describe('Idempotency-Key', () => {
  it('replays the stored response for a repeat with the same body', async () => {
    const first = await create('t_idem', 'key-replay-1', { domain: 'replay.example.com', siteType: 'html' });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotency-replayed']).toBeUndefined();
    const calls = createCalls();
    // Same request, keys in another order and the domain in another case: the same after validation.
    const again = await create('t_idem', 'key-replay-1', { siteType: 'html', domain: 'REPLAY.example.com' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.json<Site>()).toEqual(first.json<Site>());
    expect(createCalls()).toBe(calls);
  });

  it('422 IDEMPOTENCY_KEY_REUSED for the same key with another body', async () => {
    expect((await create('t_idem', 'key-reuse', { domain: 'reuse-a.example.com', siteType: 'html' })).statusCode).toBe(
      201,
    );
    const other = await create('t_idem', 'key-reuse', { domain: 'reuse-b.example.com', siteType: 'html' });
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('keys are per tenant', async () => {
    const a = await create('t_idem', 'shared-key', { domain: 'tenant-a.example.com', siteType: 'php' });
    const b = await create('t_idem_other', 'shared-key', { domain: 'tenant-b.example.com', siteType: 'php' });
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.headers['idempotency-replayed']).toBeUndefined();
    expect(b.json<Site>().tenantId).toBe('t_idem_other');
  });

  it('409 REQUEST_IN_PROGRESS while the first request runs, then the replay', async () => {
    const hold = gate();
    h.stubs.holds.set('slow.example.com', hold.wait);
    const body = { domain: 'slow.example.com', siteType: 'laravel' };
    const first = create('t_idem', 'key-slow', body);
    await expect
      .poll(() => h.stubs.calls.some((c) => (c.request as { domain?: string }).domain === 'slow.example.com'))
      .toBe(true);

    const concurrent = await create('t_idem', 'key-slow', body);
    expect(concurrent.statusCode).toBe(409);
    expect(concurrent.json().error.code).toBe('REQUEST_IN_PROGRESS');

    hold.open();
    const done = await first;
    expect(done.statusCode).toBe(201);
    const replay = await create('t_idem', 'key-slow', body);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.json<Site>().id).toBe(done.json<Site>().id);
  });

  it('of concurrent requests with one key exactly one reaches the service', async () => {
    const calls = createCalls();
    const body = { domain: 'race.example.com', siteType: 'html' };
    const responses = await Promise.all(Array.from({ length: 6 }, () => create('t_idem', 'key-race', body)));
    const fresh = responses.filter((r) => r.statusCode === 201 && !r.headers['idempotency-replayed']);
    expect(fresh).toHaveLength(1);
    for (const r of responses) expect([201, 409]).toContain(r.statusCode);
    expect(createCalls()).toBe(calls + 1);
  });

  it('stores a definite 4xx answer and replays it', async () => {
    expect((await create('t_idem', undefined, { domain: 'dup.example.com', siteType: 'html' })).statusCode).toBe(201);
    const taken = await create('t_idem', 'key-taken', { domain: 'dup.example.com', siteType: 'html' });
    expect(taken.statusCode).toBe(409);
    const calls = createCalls();
    const replay = await create('t_idem', 'key-taken', { domain: 'dup.example.com', siteType: 'html' });
    expect(replay.statusCode).toBe(409);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.json().error).toMatchObject({ code: 'DOMAIN_TAKEN', requestId: replay.headers['x-request-id'] });
    expect(createCalls()).toBe(calls);
  });

  it('releases the key after a 5xx so that a retry runs again', async () => {
    const down = h.extraApp({}, { services: `${h.space.services}-down` });
    const token = await bearer('t_idem');
    const body = { domain: 'retry.example.com', siteType: 'html' };
    const failed = await down.inject({
      method: 'POST',
      url: '/api/v1/sites',
      headers: { ...token, 'idempotency-key': 'key-retry' },
      payload: body,
    });
    expect(failed.statusCode).toBe(503);
    expect(await h.kv.get(idempotencyStoreKey('t_idem', 'key-retry'))).toMatchObject({ operation: 'DEL' });
    const retried = await create('t_idem', 'key-retry', body);
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotency-replayed']).toBeUndefined();
  });

  it('rejects a key that is empty, too long or not printable', async () => {
    for (const key of ['', 'k'.repeat(256), 'bad\u0001key']) {
      const response = await create('t_idem', key, { domain: 'badkey.example.com', siteType: 'html' });
      expect(response.statusCode, JSON.stringify(key)).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect(
      (await create('t_idem', 'k'.repeat(255), { domain: 'longkey.example.com', siteType: 'html' })).statusCode,
    ).toBe(201);
  });
});
