import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { decodeBase64Strict } from './base64.js';
import { SecretError } from './errors.js';
import { SecretErrorReason } from './types.js';

// Upstream gomsggw's format (upstream-behaviour.md §3.1): base64(IV16 ‖ AES-256-CFB ciphertext),
// no MAC, key = the raw bytes of ENCRYPTION_KEY cut or zero-padded to 32. Kept only so an
// upstream database can be read; new values are written as v2 (secret-box.ts).
const LEGACY_KEY_BYTES = 32;
const LEGACY_IV_BYTES = 16;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
// Control characters other than tab and newline never occur in a password; CFB under a wrong
// key yields random bytes, which almost always contain one or are not valid UTF-8 at all.
const IMPLAUSIBLE_CHAR = /[^\P{Cc}\t\n]/u;

/** The upstream key: UTF-8 bytes of `encryptionKey`, truncated or right-padded with 0x00 to 32. */
export function legacyKey(encryptionKey: string): Buffer {
  const key = Buffer.alloc(LEGACY_KEY_BYTES);
  Buffer.from(encryptionKey, 'utf8').copy(key, 0, 0, LEGACY_KEY_BYTES);
  return key;
}

/**
 * Encrypts in the upstream format, exactly as gomsggw's EncryptAES256 does. For tests and for
 * handing values back to an upstream deployment; the gateway itself writes v2.
 * @param iv 16 bytes; random when omitted (tests pass one to get fixed vectors).
 */
export function encryptLegacy(encryptionKey: string, plain: string, iv?: Uint8Array): string {
  const ivBytes = iv ?? randomBytes(LEGACY_IV_BYTES);
  if (ivBytes.length !== LEGACY_IV_BYTES) throw new RangeError(`legacy IV must be ${LEGACY_IV_BYTES} bytes`);
  const cipher = createCipheriv('aes-256-cfb', legacyKey(encryptionKey), ivBytes);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([ivBytes, body]).toString('base64');
}

/**
 * Decrypts an upstream value. Unlike upstream, a wrong key throws `SecretError` instead of
 * returning garbage. The check is statistical: measured false-accept rates are ~1/600 for 8
 * characters and ~1/12 000 for 12, but a 1–2 character value passes often, which is why the
 * store also keeps a key check (key-check.ts).
 */
export function decryptLegacy(encryptionKey: string, stored: string): string {
  return decryptLegacyWithKey(legacyKey(encryptionKey), stored);
}

/** As `decryptLegacy`, with the 32-byte key already derived (SecretBox keeps it). */
export function decryptLegacyWithKey(key: Buffer, stored: string): string {
  const raw = decodeBase64Strict(stored);
  if (!raw) throw new SecretError(SecretErrorReason.MALFORMED, 'not valid base64');
  if (raw.length < LEGACY_IV_BYTES) {
    throw new SecretError(SecretErrorReason.MALFORMED, `shorter than the ${LEGACY_IV_BYTES}-byte IV`);
  }
  const decipher = createDecipheriv('aes-256-cfb', key, raw.subarray(0, LEGACY_IV_BYTES));
  const plain = Buffer.concat([decipher.update(raw.subarray(LEGACY_IV_BYTES)), decipher.final()]);
  return plausibleText(plain);
}

function plausibleText(bytes: Buffer): string {
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch (err) {
    throw new SecretError(SecretErrorReason.WRONG_KEY, 'legacy value does not decrypt to UTF-8 text', {
      cause: err,
    });
  }
  if (IMPLAUSIBLE_CHAR.test(text)) {
    throw new SecretError(SecretErrorReason.WRONG_KEY, 'legacy value decrypts to control characters');
  }
  return text;
}
