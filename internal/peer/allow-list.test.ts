import { describe, expect, it } from 'vitest';
import { normalizeIp, parseAllowList } from './allow-list.js';

describe('client address as an IP allow-list', () => {
  it('allows any IP when the address is empty', async () => {
    const list = parseAllowList('');
    expect(list.open).toBe(true);
    expect(await list.allows('198.51.100.1')).toBe(true);
  });

  it('matches a single IP, including its IPv4-mapped IPv6 form', async () => {
    const list = parseAllowList('10.0.0.5');
    expect(await list.allows('10.0.0.5')).toBe(true);
    expect(await list.allows('::ffff:10.0.0.5')).toBe(true);
    expect(await list.allows('10.0.0.6')).toBe(false);
  });

  it('matches comma lists and CIDR blocks of both families', async () => {
    const list = parseAllowList(' 192.0.2.0/24, 2001:db8::/32 ,198.51.100.7');
    expect(await list.allows('192.0.2.200')).toBe(true);
    expect(await list.allows('::ffff:192.0.2.1')).toBe(true);
    expect(await list.allows('2001:db8:1::9')).toBe(true);
    expect(await list.allows('198.51.100.7')).toBe(true);
    expect(await list.allows('192.0.3.1')).toBe(false);
    expect(await list.allows('2001:db9::1')).toBe(false);
    expect(await list.allows('not-an-ip')).toBe(false);
  });

  it('reads a mapped IPv4 entry as IPv4', async () => {
    expect(await parseAllowList('::ffff:10.1.1.1').allows('10.1.1.1')).toBe(true);
  });

  it('resolves host names at check time', async () => {
    const list = parseAllowList('pbx.example.com', { resolve: async () => ['203.0.113.9'] });
    expect(await list.allows('203.0.113.9')).toBe(true);
    expect(await list.allows('203.0.113.10')).toBe(false);
  });

  it('reports entries that are not addresses and never matches them', async () => {
    const list = parseAllowList('10.0.0.0/33, 1.2.3.4/8/9, @@');
    expect(list.invalid).toEqual(['10.0.0.0/33', '1.2.3.4/8/9', '@@']);
    expect(await list.allows('10.0.0.1')).toBe(false);
  });

  it('normalises peer addresses', () => {
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('::1')).toBe('::1');
  });
});
