import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startHarness, type Harness } from './harness.js';

let h: Harness;
let auth: { authorization: string };
beforeAll(async () => {
  h = await startHarness();
  auth = await bearer('t_valid');
});
afterAll(async () => {
  await h?.close();
});

const post = (payload: string, headers: Record<string, string> = {}) =>
  h.app.inject({
    method: 'POST',
    url: '/api/v1/sites',
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    payload,
  });

describe('malformed requests get a typed 4xx, never a 5xx', () => {
  it.each([
    ['malformed JSON', '{"domain": "a.example.com",', 400, 'BAD_REQUEST'],
    ['an empty JSON body', '', 400, 'BAD_REQUEST'],
    ['a JSON array', '[]', 400, 'VALIDATION_FAILED'],
    ['wrong types', '{"domain": 42, "siteType": true}', 400, 'VALIDATION_FAILED'],
    ['an unknown field', '{"domain": "a.example.com", "siteType": "html", "plan": "gold"}', 400, 'VALIDATION_FAILED'],
    ['an invalid domain', '{"domain": "not a domain", "siteType": "html"}', 400, 'VALIDATION_FAILED'],
    ['an unknown site type', '{"domain": "a.example.com", "siteType": "cobol"}', 400, 'VALIDATION_FAILED'],
    [
      'a prototype-poisoning body',
      '{"domain": "a.example.com", "siteType": "html", "__proto__": {"x": 1}}',
      400,
      'BAD_REQUEST',
    ],
  ])('%s -> %i %s', async (_name, payload, status, code) => {
    const response = await post(payload);
    expect(response.statusCode).toBe(status);
    const { error } = response.json();
    expect(error).toMatchObject({ code, requestId: response.headers['x-request-id'] });
    expect(typeof error.message).toBe('string');
  });

  it('names the fields at fault', async () => {
    const response = await post('{"domain": "not a domain", "siteType": "cobol"}');
    const paths = response.json().error.issues.map((i: { path: string }) => i.path);
    expect(paths.sort()).toEqual(['body.domain', 'body.siteType']);
  });

  it('a wrong content type -> 415', async () => {
    const response = await post('domain=a.example.com', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a 1 MB body -> 413', async () => {
    const response = await post(
      JSON.stringify({ domain: 'a.example.com', siteType: 'html', pad: 'x'.repeat(1024 * 1024) }),
    );
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('bad query parameters -> 400', async () => {
    for (const query of ['limit=0', 'limit=abc', 'limit=101', 'status=gone', 'tenant=t_other']) {
      const response = await h.app.inject({ method: 'GET', url: `/api/v1/sites?${query}`, headers: auth });
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error.code, query).toBe('VALIDATION_FAILED');
    }
  });

  it('an unknown route -> 404 NOT_FOUND in the same shape', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: auth });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({ code: 'NOT_FOUND', requestId: response.headers['x-request-id'] });
  });

  it('an unusable X-Request-Id is replaced, a good one echoed', async () => {
    const odd = await h.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'has spaces\nand newline' },
    });
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const good = await h.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(good.headers['x-request-id']).toBe('abc-123');
  });

  it('nothing reached the services', () => {
    expect(h.stubs.calls).toEqual([]);
  });
});
