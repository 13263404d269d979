import { describe, expect, it } from 'vitest';
import { sendConcurrency } from './carrier-worker.js';

describe('a carrier leader\'s sends in flight', () => {
  it('are two seconds of its max_rps, at least 4 and at most 256', () => {
    expect(sendConcurrency(1)).toBe(4);
    expect(sendConcurrency(10)).toBe(20);
    expect(sendConcurrency(100)).toBe(200);
    expect(sendConcurrency(0.5)).toBe(4);
    expect(sendConcurrency(100_000)).toBe(256);
  });
});
