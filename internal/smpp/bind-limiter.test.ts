import { describe, expect, it } from 'vitest';
import { BindFailureLimiter } from './bind-limiter.js';

describe('failed binds per IP', () => {
  it('blocks an IP after maxFailures within a minute, until the oldest is a minute old', () => {
    let now = 0;
    const limiter = new BindFailureLimiter({ maxFailures: 3 }, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.blocked('192.0.2.1')).toBe(false);
      limiter.recordFailure('192.0.2.1');
      now += 1000;
    }
    expect(limiter.blocked('192.0.2.1')).toBe(true);
    expect(limiter.blocked('192.0.2.2')).toBe(false);
    now = 60_001;
    expect(limiter.blocked('192.0.2.1')).toBe(false);
  });

  it('is off with maxFailures 0', () => {
    const limiter = new BindFailureLimiter({ maxFailures: 0 });
    for (let i = 0; i < 100; i++) limiter.recordFailure('192.0.2.1');
    expect(limiter.blocked('192.0.2.1')).toBe(false);
    expect(limiter.size).toBe(0);
  });

  it('forgets IPs whose failures are old', () => {
    let now = 0;
    const limiter = new BindFailureLimiter({ maxFailures: 2 }, () => now);
    limiter.recordFailure('192.0.2.1');
    now = 120_000;
    expect(limiter.blocked('192.0.2.1')).toBe(false);
    expect(limiter.size).toBe(0);
  });
});
