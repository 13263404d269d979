import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { decodeBase64Strict } from './base64.js';
import { SecretError } from './errors.js';
import { decryptLegacyWithKey, legacyKey } from './legacy.js';
import { SecretErrorReason, type SecretBox } from './types.js';

const V2_PREFIX = 'v2:';
const V3_PREFIX = 'v3:';
// 96-bit IVs are GCM's native size (NIST SP 800-38D §8.2); random IVs are safe far beyond the
// number of secrets one gateway stores.
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
// Fixed forever: changing any of these strings makes every stored value of its version unreadable.
const HKDF_SALT = 'msggw/crypto/secret-box/salt';
const V2_HKDF_INFO = 'msggw secret-box v2 aes-256-gcm';
// v3 has a key of its own: with an empty binding, GCM's empty additional data would otherwise
// let a v2 value relabelled "v3:" open.
const V3_HKDF_INFO = 'msggw secret-box v3 aes-256-gcm bound';
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Builds the SecretBox for one ENCRYPTION_KEY. Keys of any length work for v2/v3 (HKDF stretches
 * or compresses them); the legacy reader uses the key exactly as upstream did. Config refuses an
 * empty key for the gateway, but the upstream importer may need one (early upstream versions
 * encrypted with a blank key, §2.9), so it is accepted here.
 */
export function createSecretBox(encryptionKey: string): SecretBox {
  const v2Key = deriveKey(encryptionKey, V2_HKDF_INFO);
  const v3Key = deriveKey(encryptionKey, V3_HKDF_INFO);
  const v1Key = legacyKey(encryptionKey);
  return {
    encrypt: (plain, binding) => V3_PREFIX + seal(v3Key, plain, binding),
    decrypt(stored, binding) {
      if (stored.startsWith(V3_PREFIX)) return open(v3Key, stored.slice(V3_PREFIX.length), binding);
      if (stored.startsWith(V2_PREFIX)) return open(v2Key, stored.slice(V2_PREFIX.length));
      return decryptLegacyWithKey(v1Key, stored);
    },
    isLegacy,
    isBound: (stored) => stored.startsWith(V3_PREFIX),
  };
}

function isLegacy(stored: string): boolean {
  // ':' is not in the base64 alphabet, so a legacy value can never start with a prefix.
  return !stored.startsWith(V2_PREFIX) && !stored.startsWith(V3_PREFIX);
}

function deriveKey(encryptionKey: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(encryptionKey, 'utf8'), HKDF_SALT, info, KEY_BYTES));
}

/** base64(iv12 ‖ tag16 ‖ ciphertext); `binding`, when given, is GCM's additional data. */
function seal(key: Buffer, plain: string, binding?: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  if (binding !== undefined) cipher.setAAD(Buffer.from(binding, 'utf8'));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

function open(key: Buffer, encoded: string, binding?: string): string {
  const raw = decodeBase64Strict(encoded);
  if (!raw) throw new SecretError(SecretErrorReason.MALFORMED, 'not valid base64 after the version prefix');
  if (raw.length < IV_BYTES + TAG_BYTES) {
    throw new SecretError(SecretErrorReason.MALFORMED, 'value is shorter than its IV and tag');
  }
  const iv = raw.subarray(0, IV_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  if (binding !== undefined) decipher.setAAD(Buffer.from(binding, 'utf8'));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch (err) {
    // GCM reports a wrong key, an altered value and a value moved to another row the same way:
    // the tag does not verify.
    throw new SecretError(SecretErrorReason.WRONG_KEY, undefined, { cause: err });
  }
  return utf8Strict.decode(plain);
}
