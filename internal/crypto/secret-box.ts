import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { decodeBase64Strict } from './base64.js';
import { SecretError } from './errors.js';
import { decryptLegacyWithKey, legacyKey } from './legacy.js';
import { SecretErrorReason, type SecretBox } from './types.js';

const V2_PREFIX = 'v2:';
// 96-bit IVs are GCM's native size (NIST SP 800-38D §8.2); random IVs are safe far beyond the
// number of secrets one gateway stores.
const V2_IV_BYTES = 12;
const V2_TAG_BYTES = 16;
const V2_KEY_BYTES = 32;
// Fixed forever: changing either string makes every stored v2 value unreadable.
const V2_HKDF_SALT = 'msggw/crypto/secret-box/salt';
const V2_HKDF_INFO = 'msggw secret-box v2 aes-256-gcm';
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Builds the SecretBox for one ENCRYPTION_KEY. Keys of any length work for v2 (HKDF stretches or
 * compresses them); the legacy reader uses the key exactly as upstream did. Config refuses an
 * empty key for the gateway, but the upstream importer may need one (early upstream versions
 * encrypted with a blank key, §2.9), so it is accepted here.
 */
export function createSecretBox(encryptionKey: string): SecretBox {
  const v2Key = deriveV2Key(encryptionKey);
  const v1Key = legacyKey(encryptionKey);
  return {
    encrypt: (plain) => encryptV2(v2Key, plain),
    decrypt: (stored) => (isLegacy(stored) ? decryptLegacyWithKey(v1Key, stored) : decryptV2(v2Key, stored)),
    isLegacy,
  };
}

function isLegacy(stored: string): boolean {
  // ':' is not in the base64 alphabet, so a legacy value can never start with the prefix.
  return !stored.startsWith(V2_PREFIX);
}

function deriveV2Key(encryptionKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(encryptionKey, 'utf8'), V2_HKDF_SALT, V2_HKDF_INFO, V2_KEY_BYTES));
}

function encryptV2(key: Buffer, plain: string): string {
  const iv = randomBytes(V2_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: V2_TAG_BYTES });
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return V2_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

function decryptV2(key: Buffer, stored: string): string {
  const raw = decodeBase64Strict(stored.slice(V2_PREFIX.length));
  if (!raw) throw new SecretError(SecretErrorReason.MALFORMED, 'not valid base64 after "v2:"');
  if (raw.length < V2_IV_BYTES + V2_TAG_BYTES) {
    throw new SecretError(SecretErrorReason.MALFORMED, 'v2 value is shorter than its IV and tag');
  }
  const iv = raw.subarray(0, V2_IV_BYTES);
  const tag = raw.subarray(V2_IV_BYTES, V2_IV_BYTES + V2_TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: V2_TAG_BYTES });
  decipher.setAuthTag(tag);
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(raw.subarray(V2_IV_BYTES + V2_TAG_BYTES)), decipher.final()]);
  } catch (err) {
    // GCM reports a wrong key and an altered value the same way: the tag does not verify.
    throw new SecretError(SecretErrorReason.WRONG_KEY, undefined, { cause: err });
  }
  return utf8Strict.decode(plain);
}
