import { describe, expect, it } from 'vitest';
import { describeLoginLimiter } from '../../test/conformance/login-limiter.js';
import { MemoryLoginLimiter } from './memory.js';

describeLoginLimiter('MemoryLoginLimiter', () => ({ newLimiter: (limits) => new MemoryLoginLimiter({ limits }) }));

describe('MemoryLoginLimiter', () => {
  const limits = { windowMs: 60_000, perIp: 2, perNetwork: 100, perUser: 100 };

  it('admits an IP again once the window that began at its first failure has passed', async () => {
    let now = 0;
    const l = new MemoryLoginLimiter({ limits }, () => now);
    await l.fail({ ip: '192.0.2.1' });
    now = 30_000;
    await l.fail({ ip: '192.0.2.1' });
    expect(await l.admit({ ip: '192.0.2.1' })).toEqual({ allowed: false, scope: 'ip', retryAfterMs: 30_000 });
    now = 60_000;
    expect(await l.admit({ ip: '192.0.2.1' })).toEqual({ allowed: true });
  });

  it('holds at most maxCounts counts and maxKnown known sources, however many sources fail', async () => {
    const l = new MemoryLoginLimiter({ limits, maxCounts: 50, maxKnown: 10 });
    for (let i = 0; i < 1_000; i++) {
      const ip = `2001:db8:${i.toString(16)}::1`;
      await l.fail({ ip, username: `u${i}` });
      await l.succeed({ ip, username: `u${i}` });
    }
    expect(l.size.counts).toBeLessThanOrEqual(50);
    expect(l.size.known).toBeLessThanOrEqual(10);
  });
});
