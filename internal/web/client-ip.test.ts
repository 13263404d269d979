import { describe, expect, it } from 'vitest';
import { trustedProxies } from '../peer/index.js';
import { clientIp } from './client-ip.js';

const trusted = trustedProxies(['10.0.0.0/8', 'fc00::/7', '192.0.2.7']);
const ip = (peer: string, forwardedFor = '', realIp = '') => clientIp({ peer, forwardedFor, realIp }, trusted);

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
});
