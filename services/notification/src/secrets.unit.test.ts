import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSecret, openSecret, sealSecret, signPayload, verifySignature } from './secrets.js';

describe('webhook secrets', () => {
  it('seals with AES-256-GCM and opens with the same key only', () => {
    const key = randomBytes(32);
    const secret = generateSecret();
    const sealed = sealSecret(secret, key);
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain(secret);
    expect(openSecret(sealed, key)).toBe(secret);
    expect(() => openSecret(sealed, randomBytes(32))).toThrow();
    expect(() => openSecret(sealed, undefined)).toThrow(/WEBHOOK_SECRET_KEY/);
  });

  it('keeps the secret as is without a key', () => {
    expect(openSecret(sealSecret('s3', undefined), undefined)).toBe('s3');
  });

  it('signs timestamp.body with HMAC-SHA256', () => {
    const body = '{"a":1}';
    const hex = createHmac('sha256', 'k').update(`1700000000.${body}`).digest('hex');
    expect(signPayload('k', '1700000000', body)).toBe(`sha256=${hex}`);
    expect(verifySignature('k', '1700000000', body, `sha256=${hex}`)).toBe(true);
    expect(verifySignature('k', '1700000001', body, `sha256=${hex}`)).toBe(false);
  });
});
