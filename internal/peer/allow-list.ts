/**
 * A legacy client's `address` as the IP allow-list of its binds (upstream documented it and never
 * enforced it, BUG-11): a single IP, a comma list, CIDR blocks, IPv4 and IPv6, where an
 * IPv4-mapped IPv6 peer (::ffff:10.0.0.5, what a dual-stack listener reports) matches its IPv4
 * entry. Host names (the same field names the MM4 host) are resolved when a bind checks them.
 * An empty address allows any IP, as every client could bind before.
 */
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

export interface AllowList {
  /** True when no entry restricts the client (empty address). */
  readonly open: boolean;
  /** Entries that are neither an IP, a CIDR nor a host name (ignored; reported by the caller). */
  readonly invalid: readonly string[];
  allows(ip: string): Promise<boolean>;
}

export interface AllowListDeps {
  /** Resolves a host name to its addresses (tests pass a fake). */
  resolve?: (host: string) => Promise<string[]>;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** '::ffff:1.2.3.4' → '1.2.3.4'; anything else unchanged (zone ids dropped). */
export function normalizeIp(ip: string): string {
  const bare = ip.split('%', 1)[0];
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return mapped ? mapped[1] : bare;
}

export function parseAllowList(address: string, deps: AllowListDeps = {}): AllowList {
  const rules = new BlockList();
  const hosts: string[] = [];
  const invalid: string[] = [];
  const entries = address
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (!addIpRule(rules, entry)) {
      if (HOSTNAME.test(entry)) hosts.push(entry);
      else invalid.push(entry);
    }
  }
  const resolve = deps.resolve ?? resolveHost;
  return {
    open: entries.length === 0,
    invalid,
    async allows(ip: string): Promise<boolean> {
      if (entries.length === 0) return true;
      if (ipRuleMatches(rules, ip)) return true;
      for (const host of hosts) {
        const addresses = await resolve(host).catch(() => [] as string[]);
        if (addresses.some((a) => normalizeIp(a) === normalizeIp(ip))) return true;
      }
      return false;
    },
  };
}

/** Adds an IP or CIDR entry (an IPv4-mapped IPv6 address as its IPv4); false when `entry` is neither. */
export function addIpRule(rules: BlockList, entry: string): boolean {
  const [ipText, prefixText, extra] = entry.split('/');
  const ip = normalizeIp(ipText);
  const family = isIP(ip);
  if (family === 0 || extra !== undefined) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) {
    rules.addAddress(ip, type);
    return true;
  }
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) return false;
  rules.addSubnet(ip, prefix, type);
  return true;
}

/** True when `ip` (an IPv4-mapped IPv6 one as its IPv4) is in `rules`; false for anything not an IP. */
export function ipRuleMatches(rules: BlockList, ip: string): boolean {
  const bare = normalizeIp(ip);
  const family = isIP(bare);
  if (family === 0) return false;
  return rules.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

async function resolveHost(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true });
  return found.map((a) => a.address);
}
