/**
 * TRUSTED_PROXIES: the load balancers and reverse proxies whose word about the client's IP is
 * believed, on every port: X-Forwarded-For / X-Real-IP on the web port, PROXY protocol headers on
 * the SMPP and MM4 ports. One matcher, so the entry points cannot disagree about who is trusted.
 */
import { BlockList, isIP } from 'node:net';

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) → `10.0.0.1`; brackets dropped; other values unchanged. */
export function plainIp(value: string): string {
  const trimmed = value.trim().replace(/^\[(.*)\]$/, '$1');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
  return mapped?.[1] ?? trimmed;
}

/** Addresses whose trust answer is remembered (see trustedProxies). */
const TRUSTED_CACHE_SIZE = 10_000;

/** True when `ip` is inside one of the ranges; built once from TRUSTED_PROXIES. */
export type TrustedProxies = (ip: string) => boolean;

/**
 * A matcher for TRUSTED_PROXIES entries (`10.0.0.0/8`, `fc00::/7`, `192.0.2.7`). Config has
 * validated them; an entry that still does not parse is skipped rather than trusted. An empty
 * list trusts nobody.
 */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.trim().split('/');
    const family = isIP(address);
    if (family === 0) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  if (entries.length === 0) return () => false;
  // BlockList.check builds a SocketAddress per call, one check per request: the answers are
  // cached per address, and the cache starts over when it is full.
  const known = new Map<string, boolean>();
  return (ip) => {
    let trusted = known.get(ip);
    if (trusted === undefined) {
      const plain = plainIp(ip);
      const family = isIP(plain);
      trusted = family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
      if (known.size >= TRUSTED_CACHE_SIZE) known.clear();
      known.set(ip, trusted);
    }
    return trusted;
  };
}
