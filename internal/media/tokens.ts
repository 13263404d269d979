import { randomBytes } from 'node:crypto';

/** 24 random bytes: 192 bits, well past ports.ts's ≥ 128, 32 URL-safe characters. */
const TOKEN_BYTES = 24;
/** What newMediaToken makes (base64url, no padding); gomsggw's UUIDv4 tokens are accepted too. */
const TOKEN_PATTERN = /^(?:[A-Za-z0-9_-]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** A new unguessable, URL-safe media token. */
export function newMediaToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * The token of a /media/{token}[.ext] path segment, or undefined when it cannot be one. As
 * upstream (§5.12), everything from the first '.' is an extension and ignored.
 */
export function tokenFromPath(segment: string): string | undefined {
  const dot = segment.indexOf('.');
  const token = dot < 0 ? segment : segment.slice(0, dot);
  return TOKEN_PATTERN.test(token) ? token : undefined;
}
