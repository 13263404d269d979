import { describe, expect, it } from 'vitest';
import { MemoryKvStore } from './memory-kv.js';

describe('MemoryKvStore', () => {
  it('sweeps out expired keys that are never read again, on a later write', () => {
    const store = new MemoryKvStore(60_000);
    const t0 = Date.now();
    for (let i = 0; i < 100; i++) store.create(`k${i}`, '1', t0);
    expect(store.size).toBe(100);
    store.create('fresh', '1', t0 + 30_000);
    expect(store.size).toBe(101);
    store.create('later', '1', t0 + 120_000);
    expect(store.size).toBe(1);
    expect(store.get('later', t0 + 120_000)).not.toBeNull();
  });
});
