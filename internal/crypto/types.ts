/**
 * The crypto room's contract: how secrets (client and carrier passwords) are kept at rest, and
 * the small hashing helpers the rest of the gateway shares.
 */

/**
 * Encrypts and decrypts secrets stored in the database with one ENCRYPTION_KEY.
 *
 * - `encrypt` always writes the current format: `v2:` + base64(iv12 ‖ tag16 ‖ ciphertext),
 *   AES-256-GCM with a key derived from ENCRYPTION_KEY by HKDF-SHA256.
 * - `decrypt` reads both that format and the upstream gomsggw format (base64(iv16 ‖ AES-256-CFB
 *   ciphertext), upstream-behaviour.md §3.1), so an upstream database keeps working unchanged.
 * - Both throw `SecretError`, never return garbage: a wrong key or an altered value is reported
 *   (v2 by its authentication tag, legacy by checking that the output is plausible text).
 */
export interface SecretBox {
  /** Encrypts `plain` in the v2 format. Two calls on the same text give different outputs. */
  encrypt(plain: string): string;
  /** Decrypts a v2 or legacy value. Throws `SecretError` when it is malformed or the key is wrong. */
  decrypt(stored: string): string;
  /** True when `stored` is in the upstream (legacy) format and should be re-encrypted on write. */
  isLegacy(stored: string): boolean;
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
