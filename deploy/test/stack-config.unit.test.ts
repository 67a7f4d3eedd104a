import { describe, expect, it } from 'vitest';
import { DEFAULT_LISTENER_NICE, niceness, niceProblem, stackConfig } from '../local/stack.mjs';

describe('the launcher’s listener niceness', () => {
  it('defaults to DEFAULT_LISTENER_NICE and takes LISTENER_NICE or the option', () => {
    expect(stackConfig({ env: {} }).listenerNice).toBe(DEFAULT_LISTENER_NICE);
    expect(stackConfig({ env: { LISTENER_NICE: '0' } }).listenerNice).toBe(0);
    expect(stackConfig({ env: { LISTENER_NICE: ' 19 ' } }).listenerNice).toBe(19);
    expect(stackConfig({ env: { LISTENER_NICE: '5' }, listenerNice: 3 }).listenerNice).toBe(3);
  });

  it.each(['', 'ten', '-1', '20', '2.5'])('refuses LISTENER_NICE=%j with a message naming it', (value) => {
    expect(() => stackConfig({ env: { LISTENER_NICE: value } })).toThrow(
      /LISTENER_NICE must be an integer from 0 to 19/,
    );
    expect(() => niceness(value)).toThrow(`not "${value}"`);
  });

  it('names LISTENER_NICE when nice(1) is missing, and needs no nice(1) at 0', () => {
    const withoutNice = { ...process.env, PATH: '/nonexistent' };
    expect(niceProblem(10, withoutNice)).toMatch(/nice\(1\) is not on PATH.*LISTENER_NICE=10.*LISTENER_NICE=0/);
    expect(niceProblem(0, withoutNice)).toBeUndefined();
    expect(niceProblem(10)).toBeUndefined();
  });
});
