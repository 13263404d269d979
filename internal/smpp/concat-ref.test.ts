import { describe, expect, it } from 'vitest';
import { ConcatRefs } from './concat-ref.js';

describe('ConcatRefs', () => {
  it('starts each destination at a random reference and increments it, wrapping at 8 bits', () => {
    const refs = new ConcatRefs(8, 100, () => 0.999);
    expect(refs.next('+1')).toBe(255);
    expect(refs.next('+1')).toBe(0);
    expect(refs.next('+1')).toBe(1);
    const other = new ConcatRefs(8, 100, () => 0.5);
    expect(other.next('+2')).toBe(128);
  });

  it('keeps destinations apart and forgets the least recently used beyond its bound', () => {
    const refs = new ConcatRefs(16, 2, () => 0);
    expect([refs.next('a'), refs.next('b'), refs.next('a')]).toEqual([0, 0, 1]);
    refs.next('c');
    expect(refs.next('b')).toBe(0);
    expect(refs.next('a')).toBe(0);
  });
});
