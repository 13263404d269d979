/**
 * The LoginLimiter contract (internal/lockout/types.ts) as tests, run against every
 * implementation:
 *
 *   describeLoginLimiter('MemoryLoginLimiter', () => ({ newLimiter: (limits) => new MemoryLoginLimiter({ limits }) }));
 *
 * `newLimiter` must return a limiter over empty counts of its own (a fresh Redis key prefix).
 * Nothing here waits for a window to end.
 */
import { describe, expect, it } from 'vitest';
import type { LoginAttempt, LoginLimiter, LoginLimits } from '../../internal/lockout/index.js';

export interface LoginLimiterFixture {
  newLimiter(limits: LoginLimits): LoginLimiter | Promise<LoginLimiter>;
}

export const WINDOW_MS = 600_000;
const limits = (over: Partial<LoginLimits> = {}): LoginLimits => ({ windowMs: WINDOW_MS, perIp: 3, perNetwork: 5, perUser: 4, ...over });

async function failTimes(limiter: LoginLimiter, attempt: LoginAttempt, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await limiter.fail(attempt);
}

export function describeLoginLimiter(name: string, fixture: () => LoginLimiterFixture): void {
  describe(`LoginLimiter: ${name}`, () => {
    const make = (over?: Partial<LoginLimits>) => fixture().newLimiter(limits(over));

    it('refuses an IP once it has failed perIp times in the window, for as long as the window has left', async () => {
      const l = await make();
      const attempt = { ip: '198.51.100.7', username: 'alice' };
      for (let i = 0; i < 3; i++) {
        expect(await l.admit(attempt)).toEqual({ allowed: true });
        await l.fail(attempt);
      }
      const gate = await l.admit(attempt);
      expect(gate).toMatchObject({ allowed: false, scope: 'ip' });
      if (gate.allowed) return;
      expect(gate.retryAfterMs).toBeGreaterThan(0);
      expect(gate.retryAfterMs).toBeLessThanOrEqual(WINDOW_MS);
      // Whatever the username: the IP is refused before any credential is looked at.
      expect(await l.admit({ ip: '198.51.100.7', username: 'someone-else' })).toMatchObject({ allowed: false, scope: 'ip' });
      expect(await l.admit({ ip: '203.0.113.9', username: 'bob' })).toEqual({ allowed: true });
    });

    it('refuses a whole IPv4 /24 after perNetwork failures spread over its addresses', async () => {
      const l = await make();
      for (let i = 1; i <= 5; i++) await l.fail({ ip: `192.0.2.${i}`, username: `user${i}` });
      expect(await l.admit({ ip: '192.0.2.200', username: 'fresh' })).toMatchObject({ allowed: false, scope: 'network' });
      expect(await l.admit({ ip: '192.0.3.1', username: 'fresh' })).toEqual({ allowed: true });
    });

    it('refuses a whole IPv6 /64 after perNetwork failures, and counts an IPv4-mapped address as its IPv4', async () => {
      const l = await make();
      for (let i = 1; i <= 5; i++) await l.fail({ ip: `2001:db8:0:1::${i}`, username: `user${i}` });
      expect(await l.admit({ ip: '2001:db8:0:1:ffff::1', username: 'fresh' })).toMatchObject({ allowed: false, scope: 'network' });
      expect(await l.admit({ ip: '2001:db8:0:2::1', username: 'fresh' })).toEqual({ allowed: true });
      await failTimes(l, { ip: '::ffff:203.0.113.5' }, 3);
      expect(await l.admit({ ip: '203.0.113.5' })).toMatchObject({ allowed: false, scope: 'ip' });
    });

    it('refuses a username guessed from many networks, from sources it never logged in from', async () => {
      const l = await make();
      for (let i = 1; i <= 4; i++) await l.fail({ ip: `10.${i}.0.1`, username: 'victim' });
      expect(await l.admit({ ip: '10.99.0.1', username: 'victim' })).toMatchObject({ allowed: false, scope: 'user' });
      expect(await l.admit({ ip: '10.99.0.1', username: 'other' })).toEqual({ allowed: true });
    });

    it('keeps admitting a username from a source it logged in from, whatever its network and username counts', async () => {
      const l = await make();
      const home = { ip: '10.50.0.7', username: 'victim' };
      await l.succeed(home);
      for (let i = 1; i <= 4; i++) await l.fail({ ip: `10.${i}.0.1`, username: 'victim' });
      for (let i = 1; i <= 5; i++) await l.fail({ ip: `10.50.0.${100 + i}`, username: `n${i}` });
      expect(await l.admit({ ip: '10.50.0.8', username: 'victim' })).toMatchObject({ allowed: false });
      expect(await l.admit(home)).toEqual({ allowed: true });
      // A known source is not a free pass: its own IP count still applies.
      await failTimes(l, home, 3);
      expect(await l.admit(home)).toMatchObject({ allowed: false, scope: 'ip' });
    });

    it('counts an attempt without a username (the admin key) per IP and network only', async () => {
      const l = await make({ perUser: 1 });
      await l.fail({ ip: '192.0.2.10' });
      await l.succeed({ ip: '192.0.2.10' });
      expect(await l.admit({ ip: '192.0.2.11' })).toEqual({ allowed: true });
      await failTimes(l, { ip: '192.0.2.10' }, 2);
      expect(await l.admit({ ip: '192.0.2.10' })).toMatchObject({ allowed: false, scope: 'ip' });
    });

    it('turns a count off with a limit of 0', async () => {
      const l = await make({ perIp: 0, perNetwork: 0, perUser: 0 });
      await failTimes(l, { ip: '192.0.2.1', username: 'alice' }, 20);
      expect(await l.admit({ ip: '192.0.2.1', username: 'alice' })).toEqual({ allowed: true });
    });
  });
}
