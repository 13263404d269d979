import { describe, expect, it } from 'vitest';
import { clientIp, plainIp, trustedProxies } from './client-ip.js';

const trusted = trustedProxies(['10.0.0.0/8', 'fc00::/7', '192.0.2.7']);
const ip = (peer: string, forwardedFor = '', realIp = '') => clientIp({ peer, forwardedFor, realIp }, trusted);

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

describe('clientIp', () => {
  it('is the socket peer when the peer is not a trusted proxy, whatever the headers say', () => {
    expect(ip('203.0.113.5', '198.51.100.1', '198.51.100.2')).toBe('203.0.113.5');
    expect(ip('::ffff:203.0.113.5')).toBe('203.0.113.5');
  });

  it('takes the nearest untrusted X-Forwarded-For hop behind a trusted proxy', () => {
    expect(ip('10.0.0.2', '198.51.100.9, 203.0.113.5, 10.0.0.3')).toBe('203.0.113.5');
    expect(ip('10.0.0.2', 'garbage, 203.0.113.5')).toBe('203.0.113.5');
  });

  it('falls back to X-Real-IP, then to the peer', () => {
    expect(ip('10.0.0.2', '10.0.0.9', '203.0.113.7')).toBe('203.0.113.7');
    expect(ip('10.0.0.2', '', '10.0.0.8')).toBe('10.0.0.2');
  });

  it('strips brackets and the IPv4-mapped prefix', () => {
    expect(plainIp('[2001:db8::1]')).toBe('2001:db8::1');
    expect(plainIp('::FFFF:192.0.2.1')).toBe('192.0.2.1');
  });
});
