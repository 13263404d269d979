/**
 * The crypto room's contract: how secrets (client and carrier passwords) are kept at rest, and
 * the small hashing helpers the rest of the gateway shares.
 */

/**
 * Encrypts and decrypts secrets stored in the database with one ENCRYPTION_KEY.
 *
 * - `encrypt` always writes the current format: `v3:` + base64(iv12 ‖ tag16 ‖ ciphertext),
 *   AES-256-GCM with a key derived from ENCRYPTION_KEY by HKDF-SHA256 and the value's `binding`
 *   (the row it is stored in, e.g. `clients.password#7`) as additional authenticated data: a
 *   value copied into another row does not decrypt there.
 * - `decrypt` also reads the earlier formats, which are bound to nothing: v2 (`v2:`, the same
 *   layout without additional data) and upstream gomsggw's (base64(iv16 ‖ AES-256-CFB
 *   ciphertext), upstream-behaviour.md §3.1), so existing databases keep working; the store
 *   re-encrypts them bound at start-up.
 * - Both throw `SecretError`, never return garbage: a wrong key, an altered value or a v3 value
 *   read with another binding is reported (v2/v3 by the authentication tag, legacy by checking
 *   that the output is plausible text).
 */
export interface SecretBox {
  /** Encrypts `plain` in the v3 format, bound to `binding`. Two calls on the same text differ. */
  encrypt(plain: string, binding: string): string;
  /**
   * Decrypts a v3 value written with the same `binding`, or a v2 or legacy value (whose binding
   * is ignored). Throws `SecretError` when it is malformed, bound elsewhere, or the key is wrong.
   */
  decrypt(stored: string, binding: string): string;
  /** True when `stored` is in the upstream (legacy) format. */
  isLegacy(stored: string): boolean;
  /** True when `stored` is bound to its row (v3); false for the formats re-encrypted at start-up. */
  isBound(stored: string): boolean;
}

/** Why a stored secret could not be read. */
export const SecretErrorReason = {
  /** The value decodes but the key does not open it (or the value was altered). */
  WRONG_KEY: 'wrong-key',
  /** The value is not a secret we wrote: bad base64, too short, unknown prefix. */
  MALFORMED: 'malformed',
} as const;
export type SecretErrorReason = (typeof SecretErrorReason)[keyof typeof SecretErrorReason];

/** Clock and randomness behind `createObjectIdGenerator`, replaceable in tests. */
export interface ObjectIdDeps {
  /** Milliseconds since the epoch. */
  now?: () => number;
  randomBytes?: (size: number) => Uint8Array;
}
