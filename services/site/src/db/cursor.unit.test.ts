import { describe, expect, it } from 'vitest';
import { AppError } from '@chom/contracts';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('site list cursor', () => {
  const cursor = { createdAt: '2025-01-02T03:04:05.678Z', id: '0193f6a2-7b1c-7def-8abc-0123456789ab' };

  it('round-trips and is url-safe', () => {
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it.each([
    ['not base64 json', 'abc'],
    ['wrong shape', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
    ['bad date', Buffer.from(JSON.stringify(['yesterday', cursor.id])).toString('base64url')],
    ['bad id', Buffer.from(JSON.stringify([cursor.createdAt, 'x'])).toString('base64url')],
  ])('rejects %s as VALIDATION_FAILED', (_name, value) => {
    expect(() => decodeCursor(value)).toThrow(AppError);
    try {
      decodeCursor(value);
    } catch (error) {
      expect((error as AppError).code).toBe('VALIDATION_FAILED');
      expect((error as AppError).issues?.[0]?.path).toBe('cursor');
    }
  });
});
