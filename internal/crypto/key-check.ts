import { SecretError } from './errors.js';
import type { SecretBox } from './types.js';

// A known plaintext kept (encrypted) in the store's meta table. At start-up the store decrypts it:
// a mismatch means ENCRYPTION_KEY changed, so the node refuses to start rather than fail every
// bind with garbage passwords later (upstream §1.1 step 9).
const KEY_CHECK_PLAINTEXT = 'msggw key check v1';
const KEY_CHECK_BINDING = 'key-check';

/** Encrypts the known key-check text with `box`; store the result once, when the database is new. */
export function createKeyCheck(box: SecretBox): string {
  return box.encrypt(KEY_CHECK_PLAINTEXT, KEY_CHECK_BINDING);
}

/**
 * True when `stored` (from `createKeyCheck`) opens with `box`, i.e. ENCRYPTION_KEY is the one the
 * database was written with. False for a wrong key or a malformed token; other errors propagate.
 */
export function verifyKeyCheck(box: SecretBox, stored: string): boolean {
  try {
    return box.decrypt(stored, KEY_CHECK_BINDING) === KEY_CHECK_PLAINTEXT;
  } catch (err) {
    if (err instanceof SecretError) return false;
    throw err;
  }
}
