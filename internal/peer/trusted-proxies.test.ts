import { describe, expect, it } from 'vitest';
import { plainIp, trustedProxies } from './trusted-proxies.js';

const trusted = trustedProxies(['10.0.0.0/8', 'fc00::/7', '192.0.2.7']);

describe('trustedProxies', () => {
  it('matches IPv4 and IPv6 ranges, single addresses and IPv4-mapped peers', () => {
    expect(trusted('10.1.2.3')).toBe(true);
    expect(trusted('::ffff:10.1.2.3')).toBe(true);
    expect(trusted('fd00::1')).toBe(true);
    expect(trusted('192.0.2.7')).toBe(true);
    expect(trusted('192.0.2.8')).toBe(false);
    expect(trusted('not an ip')).toBe(false);
  });

  it('trusts nobody when the list is empty', () => {
    expect(trustedProxies([])('10.0.0.1')).toBe(false);
  });
});

describe('plainIp', () => {
  it('strips brackets and the IPv4-mapped prefix', () => {
    expect(plainIp('[2001:db8::1]')).toBe('2001:db8::1');
    expect(plainIp('::FFFF:192.0.2.1')).toBe('192.0.2.1');
  });
});
