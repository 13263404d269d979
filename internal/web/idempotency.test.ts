import { describe, expect, it } from 'vitest';
import { idempotencyKeyOf, isOwnId, restMessageId } from './idempotency.js';

describe('REST message ids', () => {
  it("makes a fresh UUID for each send without a key, one of its client's own", () => {
    const a = restMessageId(7, undefined);
    const b = restMessageId(7, undefined);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isOwnId(7, a)).toBe(true);
    expect(isOwnId(8, a)).toBe(false);
  });

  it('gives a key the same id each time, and another client another id for it', () => {
    expect(restMessageId(7, 'order-1')).toBe(restMessageId(7, 'order-1'));
    expect(restMessageId(7, 'order-1')).not.toBe(restMessageId(7, 'order-2'));
    expect(restMessageId(8, 'order-1')).not.toBe(restMessageId(7, 'order-1'));
  });

  it("keeps a client's own id used as its key, and never lets another client take it", () => {
    const first = restMessageId(7, undefined);
    expect(restMessageId(7, first)).toBe(first);
    expect(restMessageId(7, first.toUpperCase())).toBe(first);
    const keyed = restMessageId(7, 'order-1');
    expect(restMessageId(7, keyed)).toBe(keyed);
    // Client 8 naming client 7's id gets an id of its own.
    expect(restMessageId(8, first)).not.toBe(first);
    expect(isOwnId(8, restMessageId(8, first))).toBe(true);
  });
});

describe('idempotencyKeyOf', () => {
  it('takes printable ASCII up to 255 characters, nothing when absent, and refuses the rest', () => {
    expect(idempotencyKeyOf('')).toBeUndefined();
    expect(idempotencyKeyOf('a/b+c=d:e_f.g~h')).toBe('a/b+c=d:e_f.g~h');
    expect(idempotencyKeyOf('k'.repeat(255))).toBe('k'.repeat(255));
    for (const bad of ['k'.repeat(256), 'two words', 'tab\there', 'caf\u00e9', 'nul\u0000']) {
      expect(() => idempotencyKeyOf(bad)).toThrow(/Idempotency-Key/);
    }
  });
});
