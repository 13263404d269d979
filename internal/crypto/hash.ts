import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Lowercase hex SHA-256 of the UTF-8 bytes of `s` (API keys are stored this way, upstream §3.1). */
export function sha256Hex(s: string): string {
  return hash('sha256', s, 'hex');
}

/** Lowercase hex HMAC-SHA256 of `body` under `secret` (webhook signatures). */
export function hmacSha256Hex(secret: string | Uint8Array, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * Compares two secrets in time independent of where they differ and of their lengths: both are
 * hashed first, so timingSafeEqual always sees 32 bytes (upstream compared with `==`, BUG-11).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  // crypto.hash: one call instead of a Hash object each (a check per authenticated request).
  return timingSafeEqual(hash('sha256', a, 'buffer'), hash('sha256', b, 'buffer'));
}

/** `bytes` cryptographically random bytes as lowercase hex (2 × bytes characters). */
export function randomToken(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1) throw new RangeError(`randomToken needs a positive whole number of bytes, got ${bytes}`);
  return randomBytes(bytes).toString('hex');
}
