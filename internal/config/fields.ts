import { isIP, isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import type { ListenAddress } from './types.js';

/** A parser's verdict on a bad value: what was expected, phrased to follow "VAR=value: ". */
export class Invalid {
  constructor(readonly expected: string) {}
}

type Parser<T> = (raw: string) => T | Invalid;

/**
 * A zod field for one environment variable: undefined stays undefined (the section applies its
 * default), anything else goes through `parse`, whose Invalid becomes an issue on that variable.
 */
export function field<T>(parse: Parser<T>) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T | undefined => {
      if (raw === undefined) return undefined;
      const out = parse(raw);
      if (out instanceof Invalid) {
        ctx.addIssue({ code: 'custom', message: out.expected });
        return z.NEVER;
      }
      return out;
    });
}

/** As `field`, with a default for when the variable is unset. */
export function fieldOr<T>(parse: Parser<T>, fallback: T) {
  return field(parse).transform((v): T => v ?? fallback);
}

/** Parses a default that is known to be valid (a programming error otherwise). */
export function parseDefault<T>(parse: Parser<T>, raw: string): T {
  const out = parse(raw);
  if (out instanceof Invalid) throw new Error(`bad built-in default ${JSON.stringify(raw)}: ${out.expected}`);
  return out;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const PORT = /^\d{1,5}$/;
const LISTEN_EXPECTED = 'expected host:port, e.g. 0.0.0.0:3000, [::]:3000 or myhost:3000 (port 0-65535)';

export function isHostname(s: string): boolean {
  return HOSTNAME.test(s);
}

/** host:port; the host may be IPv4, [IPv6], a host name, or empty (all interfaces, as in Go). */
export function parseListen(raw: string): ListenAddress | Invalid {
  const colon = raw.lastIndexOf(':');
  if (colon < 0) return new Invalid(LISTEN_EXPECTED);
  const hostPart = raw.slice(0, colon);
  const portPart = raw.slice(colon + 1);
  const port = Number(portPart);
  if (!PORT.test(portPart) || port > 65535) return new Invalid(LISTEN_EXPECTED);
  const host = parseListenHost(hostPart);
  return host === undefined ? new Invalid(LISTEN_EXPECTED) : { host, port };
}

function parseListenHost(s: string): string | undefined {
  if (s === '') return '0.0.0.0';
  if (s.startsWith('[') && s.endsWith(']')) return isIPv6(s.slice(1, -1)) ? s.slice(1, -1) : undefined;
  return isIPv4(s) || isHostname(s) ? s : undefined;
}

export function parseBool(raw: string): boolean | Invalid {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  return new Invalid('expected true/false, 1/0 or yes/no');
}

/** A whole number ≥ `min`, digits only (no "1e3", no "-0"). */
export function wholeNumber(min: number): Parser<number> {
  return (raw) => {
    const n = Number(raw.trim());
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) {
      return new Invalid(`expected a whole number ≥ ${min}`);
    }
    return n;
  };
}

/** One of `values`, case-insensitive; `aliases` map other spellings onto them. */
export function oneOf<const V extends string>(values: readonly V[], aliases: Partial<Record<string, V>> = {}): Parser<V> {
  return (raw) => {
    const v = raw.trim().toLowerCase();
    const hit = values.find((x) => x === v) ?? aliases[v];
    return hit ?? new Invalid(`expected one of ${[...values, ...Object.keys(aliases)].join(', ')}`);
  };
}

/** Any text, kept exactly (secrets and messages may have meaningful spaces). */
export function text(raw: string): string {
  return raw;
}

/** An IP address or CIDR (prefix within the address family). */
export function isIpOrCidr(s: string): boolean {
  const [ip, prefix, extra] = s.split('/');
  const family = isIP(ip);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

/** Comma list of IPs/CIDRs; empty entries are skipped; "none" trusts no proxy. */
export function parseCidrList(raw: string): string[] | Invalid {
  if (raw.trim().toLowerCase() === 'none') return [];
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = entries.filter((e) => !isIpOrCidr(e));
  if (bad.length > 0) {
    return new Invalid(
      `${bad.map((b) => JSON.stringify(b)).join(', ')} not an IP address or CIDR (expected e.g. 10.0.0.0/8,fc00::/7, or "none")`,
    );
  }
  return entries;
}

/** A URL with one of `protocols` (e.g. ['redis:', 'rediss:']) and a host. */
export function urlWith(protocols: readonly string[]): Parser<string> {
  const expected = `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`;
  return (raw) => (isUrlWith(raw.trim(), protocols) ? raw.trim() : new Invalid(expected));
}

function isUrlWith(s: string, protocols: readonly string[]): boolean {
  if (!URL.canParse(s)) return false;
  const url = new URL(s);
  return protocols.includes(url.protocol) && url.hostname !== '';
}

/** Comma list of URLs with one of `protocols` (NATS_URL takes several seed servers). */
export function urlListWith(protocols: readonly string[]): Parser<string[]> {
  const one = urlWith(protocols);
  return (raw) => {
    const entries = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = entries.find((e) => one(e) instanceof Invalid);
    if (entries.length === 0 || bad !== undefined) {
      return new Invalid(`expected a comma-separated list of URLs starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    }
    return entries;
  };
}

/** An http(s) base URL; trailing slashes are trimmed so `${base}/media/x` has one slash. */
export function parseBaseUrl(raw: string): string | Invalid {
  const s = raw.trim();
  if (!isUrlWith(s, ['http:', 'https:'])) return new Invalid('expected an http:// or https:// URL, e.g. https://sms.example.com');
  return s.replace(/\/+$/, '');
}

/** An HTTP path starting with '/'. */
export function parseUrlPath(raw: string): string | Invalid {
  return /^\/[^\s?#]*$/.test(raw) ? raw : new Invalid('expected a path starting with "/", e.g. /metrics');
}

/** An IANA time zone name that this Node's ICU knows. */
export function parseTimeZone(raw: string): string | Invalid {
  try {
    new Intl.DateTimeFormat('en', { timeZone: raw.trim() });
    return raw.trim();
  } catch {
    return new Invalid('expected an IANA time zone, e.g. UTC or America/Vancouver');
  }
}
