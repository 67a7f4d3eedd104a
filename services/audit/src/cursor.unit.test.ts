import { AppError, uuidv7 } from '@chom/contracts';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
  return undefined;
}

describe('cursor', () => {
  it('round-trips a position', () => {
    const cursor = { occurredAt: new Date('2025-03-04T05:06:07.089Z'), id: uuidv7() };
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['the wrong shape', Buffer.from(JSON.stringify({ t: 1 })).toString('base64url')],
    ['a bad date', Buffer.from(JSON.stringify(['yesterday', uuidv7()])).toString('base64url')],
    ['a bad id', Buffer.from(JSON.stringify(['2025-01-01T00:00:00.000Z', '1; drop table'])).toString('base64url')],
  ])('rejects %s with VALIDATION_FAILED', (_label, value) => {
    expect(codeOf(() => decodeCursor(value))).toBe('VALIDATION_FAILED');
  });
});
