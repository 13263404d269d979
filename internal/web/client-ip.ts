import { BlockList, isIP } from 'node:net';

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) → `10.0.0.1`; other values unchanged. */
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
 * validated them; an entry that still does not parse is skipped rather than trusted.
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
  // BlockList.check builds a SocketAddress per call (~2 % of a busy node's CPU, one check per
  // request); the answers are cached per address, and the cache starts over when it is full.
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

export interface ClientIpInput {
  /** The socket peer (`req.socket.remoteAddress`). */
  peer: string | undefined;
  /** The X-Forwarded-For header ('' when absent). */
  forwardedFor: string;
  /** The X-Real-IP header ('' when absent). */
  realIp: string;
}

/**
 * The caller's IP (upstream §4.5): the socket peer, unless the peer is a trusted proxy; then the
 * nearest untrusted address of X-Forwarded-For, else X-Real-IP, else the peer.
 *
 * X-Forwarded-For is read from the right (the address the last trusted proxy saw), where
 * gomsggw took the leftmost parsable entry, which any caller can forge by sending the header.
 */
export function clientIp(input: ClientIpInput, trusted: TrustedProxies): string {
  const peer = plainIp(input.peer ?? '');
  if (!trusted(peer)) return peer;
  const hops = input.forwardedFor.split(',').map(plainIp).filter((ip) => isIP(ip) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trusted(hop)) return hop;
  }
  const real = plainIp(input.realIp);
  if (isIP(real) !== 0 && !trusted(real)) return real;
  return peer;
}
