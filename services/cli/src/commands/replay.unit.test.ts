import { describe, expect, it } from 'vitest';
import { bar } from './replay.js';

describe('progress bar', () => {
  it('fills with the share done and shows the counts', () => {
    expect(bar(0, 4, 4)).toBe('[....] 0% 0/4');
    expect(bar(2, 4, 4)).toBe('[##..] 50% 2/4');
    expect(bar(5, 4, 4)).toBe('[####] 100% 5/4');
    expect(bar(0, 0, 4)).toBe('[####] 100% 0/0');
  });
});
