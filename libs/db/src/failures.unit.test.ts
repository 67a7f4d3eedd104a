import { describe, expect, it } from 'vitest';
import { storableFailure, type FailureRecord } from './failures.js';

const base: FailureRecord = {
  eventId: null,
  eventType: null,
  streamSequence: 3,
  consumer: 'audit',
  tenantId: null,
  payload: '',
  headers: {},
  errorCode: 'VALIDATION_FAILED',
  errorMessage: '',
  errorStack: null,
  attempts: [],
  traceId: null,
};

describe('storableFailure', () => {
  it('replaces NUL characters, which Postgres text and jsonb reject, everywhere', () => {
    const f = storableFailure({
      ...base,
      payload: 'a\u0000b\u0000',
      headers: { 'x\u0000': 'y\u0000' },
      errorMessage: 'bad \u0000',
      errorStack: '\u0000',
      attempts: [{ at: '2025-01-01T00:00:00.000Z', error: 'e\u0000' }],
    });
    expect(JSON.stringify(f)).not.toContain('\\u0000');
    expect(f.payload).toBe('a\uFFFDb\uFFFD');
    expect(f.headers).toEqual({ 'x\uFFFD': 'y\uFFFD' });
    expect(f.attempts[0]?.error).toBe('e\uFFFD');
  });

  it('leaves clean records and nulls as they are', () => {
    expect(storableFailure(base)).toEqual(base);
  });
});
