import { describe, expect, it } from 'vitest';
import { attemptKeys, networkOf } from './keys.js';

describe('networkOf', () => {
  it.each([
    ['192.0.2.77', '192.0.2.0/24'],
    ['::ffff:192.0.2.77', '192.0.2.0/24'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0000:0001:ffff::', '2001:db8:0:1::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
  ])('puts %s in %s', (ip, network) => {
    expect(networkOf(ip)).toBe(network);
  });

  it('has no network for what is not an IP', () => {
    expect(networkOf('not-an-ip')).toBeUndefined();
  });
});

describe('attemptKeys', () => {
  it('names usernames by a hash of fixed length, never in plain', () => {
    const keys = attemptKeys({ ip: '192.0.2.1', username: 'x'.repeat(5000) });
    expect(keys.user).toMatch(/^user:[A-Za-z0-9_-]{22}$/);
    expect(keys.known).toBe(`known:${keys.user!.slice('user:'.length)}:192.0.2.1`);
    expect(attemptKeys({ ip: '192.0.2.1' })).toEqual({
      ip: 'ip:192.0.2.1',
      network: 'net:192.0.2.0/24',
      user: undefined,
      known: undefined,
    });
  });
});
