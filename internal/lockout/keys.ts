import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { normalizeIp } from '../peer/index.js';
import type { LoginAttempt } from './types.js';

/** IPv4 hosts in one /24 are usually one customer, NAT pool or hosting subnet. */
const IPV4_NETWORK_BITS = 24;
/** One IPv6 /64 is the smallest block a site is given (RFC 6177); an attacker has all of it. */
const IPV6_NETWORK_BITS = 64;

/** The counter names of one attempt, shared by the memory and Redis limiters. */
export interface AttemptKeys {
  ip: string;
  network?: string;
  user?: string;
  /** The (username, IP) known-source marker. */
  known?: string;
}

/**
 * The network of `ip` as text: `192.0.2.0/24`, `2001:db8:1:2::/64`. An IPv4-mapped IPv6
 * address counts as its IPv4. undefined for anything that is not an IP.
 */
export function networkOf(ip: string): string | undefined {
  const bare = normalizeIp(ip);
  const family = isIP(bare);
  if (family === 4)
    return `${bare
      .split('.')
      .slice(0, IPV4_NETWORK_BITS / 8)
      .join('.')}.0/${IPV4_NETWORK_BITS}`;
  if (family !== 6) return undefined;
  const hextets = expandIpv6(bare)
    .slice(0, IPV6_NETWORK_BITS / 16)
    .map((h) => h.replace(/^0+(?=.)/, ''));
  return `${hextets.join(':')}::/${IPV6_NETWORK_BITS}`;
}

/** The eight hextets of a valid IPv6 address (an embedded IPv4 tail becomes two). */
function expandIpv6(ip: string): string[] {
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right];
}

/**
 * Usernames are hashed: a Basic header may carry one of any length, and Redis then holds no
 * plain usernames.
 */
function userTag(username: string): string {
  return createHash('sha256').update(username).digest('base64url').slice(0, 22);
}

export function attemptKeys(attempt: LoginAttempt): AttemptKeys {
  const ip = normalizeIp(attempt.ip);
  const network = networkOf(ip);
  const user = attempt.username === undefined ? undefined : userTag(attempt.username);
  return {
    ip: `ip:${ip}`,
    network: network === undefined ? undefined : `net:${network}`,
    user: user === undefined ? undefined : `user:${user}`,
    known: user === undefined ? undefined : `known:${user}:${ip}`,
  };
}
