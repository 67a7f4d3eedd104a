import { ContractError } from '@chom/contracts';
import { describe, expect, it } from 'vitest';
import { PermanentError } from './errors.js';
import { backoffFor, errorCode, judgeFailure } from './retry.js';

describe('backoffFor', () => {
  it('takes the delay for the try, repeating the last one', () => {
    expect(backoffFor([10, 20, 40], 1)).toBe(10);
    expect(backoffFor([10, 20, 40], 2)).toBe(20);
    expect(backoffFor([10, 20, 40], 7)).toBe(40);
    expect(backoffFor([30_000], 2)).toBe(30_000);
  });

  it('refuses an empty policy', () => {
    expect(() => backoffFor([], 1)).toThrow();
  });
});

describe('judgeFailure', () => {
  const spec = { maxDeliver: 3, backoffMs: [5, 50] };

  it('retries with the delay for the try until the last one', () => {
    expect(judgeFailure(new Error('x'), 1, spec)).toEqual({ kind: 'retry', delayMs: 5 });
    expect(judgeFailure(new Error('x'), 2, spec)).toEqual({ kind: 'retry', delayMs: 50 });
    expect(judgeFailure(new Error('x'), 3, spec)).toEqual({ kind: 'dead_letter', permanent: false });
  });

  it('dead-letters permanent and contract errors at once', () => {
    expect(judgeFailure(new PermanentError('NOPE', 'never'), 1, spec)).toEqual({
      kind: 'dead_letter',
      permanent: true,
    });
    expect(judgeFailure(new ContractError('bad'), 1, spec)).toEqual({ kind: 'dead_letter', permanent: true });
  });

  it('names failures by stable codes', () => {
    expect(errorCode(new PermanentError('SITE_GONE', 'x'))).toBe('SITE_GONE');
    expect(errorCode(new ContractError('bad'))).toBe('VALIDATION_FAILED');
    expect(errorCode(new SyntaxError('bad json'))).toBe('INVALID_JSON');
    expect(errorCode(new Error('boom'))).toBe('HANDLER_FAILED');
  });
});
