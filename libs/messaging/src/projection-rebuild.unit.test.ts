import { describe, expect, it } from 'vitest';
import { needsReset, resumePoint } from './projection-rebuild.js';

describe('resuming a projection rebuild', () => {
  it('goes on after the checkpoint, or from its own start when nothing was checkpointed', () => {
    expect(resumePoint({ from: { kind: 'start' }, position: 0 })).toEqual({ kind: 'start' });
    expect(resumePoint({ from: { kind: 'start' }, position: 640 })).toEqual({ kind: 'seq', seq: 641 });
    expect(resumePoint({ from: { kind: 'time', time: '2025-01-01T00:00:00.000Z' }, position: 0 })).toEqual({
      kind: 'time',
      time: '2025-01-01T00:00:00.000Z',
    });
    expect(resumePoint({ from: { kind: 'seq', seq: 10 }, position: 73 })).toEqual({ kind: 'seq', seq: 74 });
  });

  it('empties the projection again only for a rebuild from the start that has checkpointed nothing', () => {
    expect(needsReset({ from: { kind: 'start' }, position: 0 }, true)).toBe(true);
    // Past a checkpoint the reset is done: emptying again would drop what the replay wrote.
    expect(needsReset({ from: { kind: 'start' }, position: 5 }, true)).toBe(false);
    expect(needsReset({ from: { kind: 'seq', seq: 3 }, position: 0 }, true)).toBe(false);
    expect(needsReset({ from: { kind: 'start' }, position: 0 }, false)).toBe(false);
  });
});
