/**
 * Where the gateway may fetch a media URL from. A web client's `media_urls` are fetched by the
 * gateway (to size, store and transcode them) and the bytes then go to a phone the sender chose,
 * so without a guard any client could read the gateway's own network: the cloud metadata service
 * (169.254.169.254), an admin port on 127.0.0.1, a database on 10.x (server-side request
 * forgery). So media is fetched only from public addresses, plus those MEDIA_FETCH_ALLOW lists
 * (a media server on the private network, or loopback in tests).
 *
 * The address is checked where the connection is made (the socket's DNS lookup), so a name that
 * resolves to a public address when asked and to a private one when connecting (DNS rebinding)
 * is refused too; IP literals, which skip the lookup, are checked before the request; and every
 * redirect is followed here, one hop at a time, so each hop is checked the same way.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { ForbiddenError } from '../errors/index.js';
import { addIpRule, ipRuleMatches, normalizeIp } from '../peer/index.js';

/** Ranges that are not the public internet (IANA special-purpose registries, RFC 6890 & co.). */
const NON_PUBLIC_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
/**
 * IPv4-compatible (::/96, which holds :: and ::1), IPv4-translated (::ffff:0:0:0/96), local NAT64
 * (64:ff9b:1::/48), the IETF block with Teredo (2001::/23) and documentation. IPv4-mapped
 * (::ffff:0:0/96) is checked as its IPv4 address.
 */
const NON_PUBLIC_V6 = [
  '::/96',
  '::ffff:0:0:0/96',
  '64:ff9b:1::/48',
  '100::/64',
  '2001::/23',
  '2001:db8::/32',
  '3fff::/20',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
];

/**
 * Prefixes that carry an IPv4 address (the NAT64 well-known prefix, whose gateway connects to
 * it; 6to4) and where it sits: such an address is as public as the IPv4 address it names.
 */
const V4_CARRIERS = [
  { at: 96, cidr: (hi: string, lo: string) => `64:ff9b::${hi}:${lo}` },
  { at: 16, cidr: (hi: string, lo: string) => `2002:${hi}:${lo}::` },
];

/** Each non-public IPv4 range as it appears inside each IPv4-carrying IPv6 prefix. */
function embeddedNonPublic(): string[] {
  return NON_PUBLIC_V4.flatMap((range) => {
    const [ip, bits] = range.split('/') as [string, string];
    const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
    const hi = ((a << 8) | b).toString(16);
    const lo = ((c << 8) | d).toString(16);
    return V4_CARRIERS.map((v) => `${v.cidr(hi, lo)}/${v.at + Number(bits)}`);
  });
}

const NON_PUBLIC = ipRules([...NON_PUBLIC_V4, ...NON_PUBLIC_V6, ...embeddedNonPublic()]);

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** A media URL the guard will not fetch: final, asking again gets the same answer. */
export class MediaUrlRefusedError extends ForbiddenError {}

export interface MediaUrlGuard {
  /** True when a media URL may be fetched from `ip`. */
  allows(ip: string): boolean;
  /** fetch() that refuses non-public addresses (MediaUrlRefusedError) and follows redirects itself. */
  fetch: typeof fetch;
  close(): Promise<void>;
}

/** `allow`: MEDIA_FETCH_ALLOW, IPs and CIDRs a media URL may reach although they are not public. */
export function createMediaUrlGuard(allow: readonly string[] = []): MediaUrlGuard {
  const allowed = ipRules(allow);
  // Anything that is not an IP is refused, not taken for public.
  const allows = (ip: string): boolean => isIP(normalizeIp(ip)) !== 0 && (!ipRuleMatches(NON_PUBLIC, ip) || ipRuleMatches(allowed, ip));
  const agent = new Agent({ connect: { lookup: guardedLookup(allows) } });
  return {
    allows,
    fetch: ((input: string | URL, init?: RequestInit) => fetchGuarded(String(input), init ?? {}, allows, agent)) as typeof fetch,
    close: () => agent.close(),
  };
}

/** A socket lookup that fails when any address of the name is not allowed. */
function guardedLookup(allows: (ip: string) => boolean): LookupFunction {
  return (hostname, options, callback) => {
    // net asks for every address (all: true) when it races IPv4 and IPv6, else for one.
    const reply = callback as (err: Error | null, address?: string | LookupAddress[], family?: number) => void;
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return reply(err);
      const refused = addresses.find((a) => !allows(a.address));
      if (refused) return reply(refusal(hostname, refused.address));
      if ((options as { all?: boolean }).all) return reply(null, addresses);
      const first = addresses[0]!;
      return reply(null, first.address, first.family);
    });
  };
}

async function fetchGuarded(url: string, init: RequestInit, allows: (ip: string) => boolean, agent: Agent): Promise<Response> {
  let target = new URL(url);
  let headers = Object.fromEntries(new Headers(init.headers)) as Record<string, string>;
  for (let hop = 0; ; hop++) {
    checkTarget(target, allows);
    const res = (await undiciFetch(target, { ...(init as object), headers, redirect: 'manual', dispatcher: agent })) as unknown as Response;
    const location = REDIRECTS.has(res.status) ? res.headers.get('location') : null;
    if (location === null) return res;
    await res.body?.cancel().catch(() => undefined);
    if (hop >= MAX_REDIRECTS) throw new MediaUrlRefusedError(`media ${url} redirects more than ${MAX_REDIRECTS} times`);
    const next = new URL(location, target);
    // As fetch does: credentials go to the origin they were given for, not where it redirects.
    if (next.origin !== target.origin) {
      const { authorization: _a, cookie: _c, ...rest } = headers;
      headers = rest;
    }
    target = next;
  }
}

/** Only http(s); an IP literal is checked here, since connecting to it asks no lookup. */
function checkTarget(url: URL, allows: (ip: string) => boolean): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MediaUrlRefusedError(`media URL ${url.href} is not http or https`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0 && !allows(host)) throw refusal(url.hostname, host);
}

function refusal(host: string, ip: string): MediaUrlRefusedError {
  return new MediaUrlRefusedError(
    `media host ${host} is at ${ip}, which is not a public address (MEDIA_FETCH_ALLOW lists the private ones allowed)`,
  );
}

/** IPs and CIDRs (MEDIA_FETCH_ALLOW is validated when the config loads) as one BlockList. */
function ipRules(entries: readonly string[]): BlockList {
  const rules = new BlockList();
  for (const entry of entries) addIpRule(rules, entry);
  return rules;
}
