import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('lets a burst through at once, then paces to the rate', async () => {
    const bucket = new TokenBucket(200, 10);
    const started = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => bucket.take()));
    expect(performance.now() - started).toBeLessThan(20);
    await Promise.all(Array.from({ length: 40 }, () => bucket.take()));
    // 40 more tokens at 200/s need about 200 ms.
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(600);
  });

  it('serves waiters in order', async () => {
    const bucket = new TokenBucket(100, 1);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => bucket.take().then(() => order.push(n))));
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('tryTake takes a free token at once, but never ahead of a waiter', async () => {
    let now = 0;
    const bucket = new TokenBucket(10, 2, () => now);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
    const waiting = bucket.take();
    now += 1_000; // ten tokens' worth later, a waiter still goes first
    expect(bucket.tryTake()).toBe(false);
    bucket.close();
    await waiting;
  });

  it('releases waiters on close', async () => {
    const bucket = new TokenBucket(1, 1);
    await bucket.take();
    const waiting = bucket.take();
    bucket.close();
    await expect(waiting).resolves.toBeUndefined();
  });
});
