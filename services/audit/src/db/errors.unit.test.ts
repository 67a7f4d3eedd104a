import { describe, expect, it } from 'vitest';
import { isRowRejected, sqlState } from './errors.js';

const pgError = (code: string) => Object.assign(new Error('pg'), { code, severity: 'ERROR' });

describe('postgres error classification', () => {
  it('finds the SQLSTATE through wrapping errors', () => {
    const wrapped = new Error('Failed query', { cause: pgError('22P05') });
    expect(sqlState(wrapped)).toBe('22P05');
    expect(isRowRejected(wrapped)).toBe(true);
  });

  it('treats integrity violations as rejected rows and connection or schema errors as transient', () => {
    expect(isRowRejected(pgError('23502'))).toBe(true);
    expect(isRowRejected(pgError('42P01'))).toBe(false);
    expect(isRowRejected(pgError('08006'))).toBe(false);
    expect(isRowRejected(Object.assign(new Error('socket'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isRowRejected(new Error('anything'))).toBe(false);
    expect(isRowRejected(undefined)).toBe(false);
  });
});
