import { hash, randomFillSync } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../errors/index.js';

/**
 * REST message ids and the Idempotency-Key header (docs/web-api.md, "Sending safely twice").
 *
 * A send's message id is a UUID (version 8, RFC 9562 §5.8) made for its client: 74 bits that are
 * random (no key) or hashed from the client's Idempotency-Key, then 48 bits of a hash of the
 * client id and those bits. So:
 * - the same key from the same client always gives the same id, and a resend enters once;
 * - a resend whose key is the id a first try was answered with (a 503 "unknown" without a key
 *   of its own) keeps that id: a key that is one of this client's ids is the id;
 * - one client's keys can never make another client's ids (the id hashes the client id in), and
 *   another client's id used as a key is just a key, hashed into an id of the sender's own.
 * Ids stay gateway ids: unique across clients, never text a client chose.
 */

/** The request header, as Stripe and draft-ietf-httpapi-idempotency-key-header spell it. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Longest key accepted: Stripe's limit, room for any UUID, ULID or hash a client makes. */
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;
/** Printable ASCII without space: what fits in a header and a log line unescaped. */
const KEY_CHARS = /^[\x21-\x7e]+$/;
const OWN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const BODY_BYTES = 10;
const TAG_BYTES = 6;
/** Random bytes are drawn this many ids at a time: one fill per id cost more than the rest of it. */
const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let poolAt = 0;

/** The header for the API document; idempotencyKeyOf checks the same (by hand: it is on every send). */
export const idempotencyKeyHeader = z.string().min(1).max(MAX_IDEMPOTENCY_KEY_CHARS).regex(KEY_CHARS).meta({
  description: 'Sends with the same key from the same client enter once and get the same id',
  example: '3f1c2d9e-5b7a-4c1e-9d2f-8a6b4c3e2f10',
});

/** The client's key from the header's value ('' when absent): undefined without one, a 400 when malformed. */
export function idempotencyKeyOf(header: string): string | undefined {
  if (header === '') return undefined;
  if (header.length > MAX_IDEMPOTENCY_KEY_CHARS || !KEY_CHARS.test(header)) {
    throw new ValidationError(`Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters without spaces`);
  }
  return header;
}

/** The message id of a send by `clientId` with `key` (a fresh one without a key). */
export function restMessageId(clientId: number, key: string | undefined): string {
  if (key === undefined) return idFrom(clientId, randomBody());
  const lower = key.toLowerCase();
  if (isOwnId(clientId, lower)) return lower;
  return idFrom(clientId, hash('sha256', `msggw-rest-key\0${clientId}\0${key}`, 'buffer'));
}

function randomBody(): Buffer {
  if (poolAt + 16 > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(16 * POOL_IDS));
    poolAt = 0;
  }
  // A copy: idFrom writes into it, and the pool's next ids must stay as drawn.
  return Buffer.from(pool.subarray(poolAt, (poolAt += 16)));
}

/** True when `id` is one restMessageId made for `clientId`. */
export function isOwnId(clientId: number, id: string): boolean {
  if (!OWN_ID.test(id)) return false;
  const bytes = Buffer.from(id.replaceAll('-', ''), 'hex');
  return tagOf(clientId, bytes).equals(bytes.subarray(BODY_BYTES));
}

/** An id from the first BODY_BYTES of `seed` (a buffer of at least 16 bytes, overwritten). */
function idFrom(clientId: number, seed: Buffer): string {
  const bytes = seed.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  tagOf(clientId, bytes).copy(bytes, BODY_BYTES);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function tagOf(clientId: number, bytes: Buffer): Buffer {
  return hash('sha256', `msggw-rest-id\0${clientId}\0${bytes.toString('hex', 0, BODY_BYTES)}`, 'buffer').subarray(0, TAG_BYTES);
}
