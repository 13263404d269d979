import { describe, expect, it } from 'vitest';
import { MemoryStream, normalizeStreamSpec } from './memory-stream.js';

const bytes = (n: number) => new Uint8Array(n);

describe('MemoryStream maxBytes', () => {
  it('drops the oldest messages to stay under maxBytes, as JetStream discard-old does', () => {
    const stream = new MemoryStream(normalizeStreamSpec({ name: 'S', subjects: ['s.>'], retention: 'limits', maxBytes: 250 }));
    const seqs = [1, 2, 3].map(() => stream.store('s.x', bytes(100), undefined).seq);
    expect(stream.count()).toBe(2);
    expect(stream.get(seqs[0]!)).toBeUndefined();
    expect(stream.get(seqs[2]!)?.data.length).toBe(100);
    stream.remove(seqs[1]!);
    stream.store('s.x', bytes(100), undefined);
    expect(stream.count()).toBe(2);
  });

  it('keeps everything without a limit', () => {
    const stream = new MemoryStream(normalizeStreamSpec({ name: 'S', subjects: ['s.>'], retention: 'limits' }));
    for (let i = 0; i < 5; i++) stream.store('s.x', bytes(1000), undefined);
    expect(stream.count()).toBe(5);
  });
});
