import { describe, expect, it } from 'vitest';
import { createObjectIdGenerator, generateObjectId } from './object-id.js';

describe('generateObjectId', () => {
  it('gives 24 lowercase hex chars starting with the seconds', () => {
    const id = generateObjectId();
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    const seconds = parseInt(id.slice(0, 8), 16);
    expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(5);
  });

  it('is unique over many calls', () => {
    const ids = new Set(Array.from({ length: 10_000 }, generateObjectId));
    expect(ids.size).toBe(10_000);
  });

  it('lays out time, process random and a wrapping counter', () => {
    const gen = createObjectIdGenerator({
      now: () => 0x5f5e1000 * 1000,
      randomBytes: (n) => (n === 5 ? Buffer.from('0102030405', 'hex') : Buffer.from('fffffe', 'hex')),
    });
    expect(gen()).toBe('5f5e1000' + '0102030405' + 'ffffff');
    expect(gen()).toBe('5f5e1000' + '0102030405' + '000000');
  });
});
