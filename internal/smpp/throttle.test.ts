import { describe, expect, it } from 'vitest';
import { SubmitThrottle } from './throttle.js';

describe('max_tps token bucket', () => {
  it('allows a burst of max_tps, then max_tps per second', () => {
    let now = 0;
    const throttle = new SubmitThrottle(() => now);
    const taken = () => Array.from({ length: 10 }, () => throttle.take(1, 5)).filter(Boolean).length;
    expect(taken()).toBe(5);
    now = 400;
    expect(taken()).toBe(2);
    now = 10_000;
    expect(taken()).toBe(5);
  });

  it('keeps clients apart and treats 0 as unlimited', () => {
    const throttle = new SubmitThrottle(() => 0);
    expect(throttle.take(1, 1)).toBe(true);
    expect(throttle.take(1, 1)).toBe(false);
    expect(throttle.take(2, 1)).toBe(true);
    for (let i = 0; i < 1000; i++) expect(throttle.take(3, 0)).toBe(true);
  });
});
