import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretError } from './errors.js';
import { decryptLegacy, encryptLegacy } from './legacy.js';
import { createSecretBox } from './secret-box.js';
import { SecretErrorReason } from './types.js';

const KEY = 'a-32-byte-encryption-key-for-tst';
const SAMPLES = ['', 'a', 'S3cure!Passw0rd', 'x'.repeat(1000), '你好世界 🌍'];
const TYPICAL_PASSWORDS = ['S3cure!Passw0rd', 'correct horse battery staple', 'zultys-mx-2024!', 'P@ssw0rd1234'];

/** Upstream's EncryptAES256, written out by hand so the test does not trust legacy.ts. */
function goEncrypt(keyBytes: Buffer, plain: string, iv: Buffer): string {
  const key = Buffer.alloc(32);
  keyBytes.copy(key, 0, 0, 32);
  const c = createCipheriv('aes-256-cfb', key, iv);
  return Buffer.concat([iv, c.update(plain, 'utf8'), c.final()]).toString('base64');
}

function fixedIv(seed: number): Buffer {
  return Buffer.from(Array.from({ length: 16 }, (_, i) => (seed * 31 + i * 7) & 0xff));
}

function secretErrorOf(fn: () => unknown): SecretError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SecretError);
    return err as SecretError;
  }
  throw new Error('expected a SecretError');
}

/** The v2 format (unbound AES-256-GCM) written out by hand, as nodes before v3 stored it. */
function v2Encrypt(encryptionKey: string, plain: string): string {
  const key = Buffer.from(
    hkdfSync('sha256', Buffer.from(encryptionKey), 'msggw/crypto/secret-box/salt', 'msggw secret-box v2 aes-256-gcm', 32),
  );
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return 'v2:' + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
}

const ROW = 'clients.password#1';

describe('SecretBox v3', () => {
  const box = createSecretBox(KEY);

  it.each(SAMPLES)('round-trips %j', (plain) => {
    const stored = box.encrypt(plain, ROW);
    expect(stored.startsWith('v3:')).toBe(true);
    expect(box.isLegacy(stored)).toBe(false);
    expect(box.isBound(stored)).toBe(true);
    expect(box.decrypt(stored, ROW)).toBe(plain);
  });

  it('gives different outputs for the same text (random IV)', () => {
    expect(box.encrypt('same', ROW)).not.toBe(box.encrypt('same', ROW));
  });

  it('works with keys of any length', () => {
    for (const key of ['k', 'x'.repeat(100), '🔑']) {
      const b = createSecretBox(key);
      expect(b.decrypt(b.encrypt('hello', ROW), ROW)).toBe('hello');
    }
  });

  it('throws a wrong-key SecretError naming ENCRYPTION_KEY when the key differs', () => {
    const stored = box.encrypt('hello', ROW);
    const err = secretErrorOf(() => createSecretBox('another-key').decrypt(stored, ROW));
    expect(err.reason).toBe(SecretErrorReason.WRONG_KEY);
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toMatch(/ENCRYPTION_KEY does not match/);
  });

  it('does not decrypt a value moved to another row', () => {
    const stored = box.encrypt('client one secret', 'clients.password#1');
    for (const other of ['clients.password#2', 'carriers.password#1', 'clients.password#11', '']) {
      expect(secretErrorOf(() => box.decrypt(stored, other)).reason).toBe(SecretErrorReason.WRONG_KEY);
    }
  });

  it('does not open a v2 value relabelled v3, whatever the binding', () => {
    const relabelled = 'v3:' + v2Encrypt(KEY, 'hello').slice(3);
    for (const binding of ['', ROW]) {
      expect(secretErrorOf(() => box.decrypt(relabelled, binding)).reason).toBe(SecretErrorReason.WRONG_KEY);
    }
  });

  it('throws when the value was altered', () => {
    const raw = Buffer.from(box.encrypt('hello', ROW).slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    const err = secretErrorOf(() => box.decrypt('v3:' + raw.toString('base64'), ROW));
    expect(err.reason).toBe(SecretErrorReason.WRONG_KEY);
  });

  it.each(['v3:', 'v3:AAAA', 'v3:not base64!', 'v3:' + Buffer.alloc(27).toString('base64')])(
    'throws a malformed SecretError for %j',
    (stored) => {
      expect(secretErrorOf(() => box.decrypt(stored, ROW)).reason).toBe(SecretErrorReason.MALFORMED);
    },
  );
});

describe('SecretBox reading v2 (unbound) values', () => {
  const box = createSecretBox(KEY);

  it.each(SAMPLES)('reads %j written by an earlier node, whatever the binding asked for', (plain) => {
    const stored = v2Encrypt(KEY, plain);
    expect(box.isLegacy(stored)).toBe(false);
    expect(box.isBound(stored)).toBe(false);
    expect(box.decrypt(stored, ROW)).toBe(plain);
    expect(box.decrypt(stored, 'carriers.password#9')).toBe(plain);
  });

  it('throws a wrong-key SecretError when the key differs', () => {
    const err = secretErrorOf(() => box.decrypt(v2Encrypt('another-key', 'hello'), ROW));
    expect(err.reason).toBe(SecretErrorReason.WRONG_KEY);
  });

  it.each(['v2:', 'v2:AAAA', 'v2:not base64!', 'v2:' + Buffer.alloc(27).toString('base64')])(
    'throws a malformed SecretError for %j',
    (stored) => {
      expect(secretErrorOf(() => box.decrypt(stored, ROW)).reason).toBe(SecretErrorReason.MALFORMED);
    },
  );
});

describe('SecretBox reading upstream (legacy) values', () => {
  const box = createSecretBox(KEY);

  it.each(SAMPLES)('reads %j encrypted by hand with aes-256-cfb', (plain) => {
    const stored = goEncrypt(Buffer.from(KEY), plain, randomBytes(16));
    expect(box.isLegacy(stored)).toBe(true);
    expect(box.isBound(stored)).toBe(false);
    expect(box.decrypt(stored, ROW)).toBe(plain);
  });

  it('matches upstream byte for byte for a fixed IV', () => {
    const iv = fixedIv(1);
    expect(encryptLegacy(KEY, 'secret123', iv)).toBe(goEncrypt(Buffer.from(KEY), 'secret123', iv));
  });

  it('pads a short key with zero bytes, as upstream does', () => {
    const stored = goEncrypt(Buffer.concat([Buffer.from('short'), Buffer.alloc(27)]), 'hello', fixedIv(2));
    expect(createSecretBox('short').decrypt(stored, ROW)).toBe('hello');
    expect(encryptLegacy('short', 'hello', fixedIv(2))).toBe(stored);
  });

  it('truncates a long key to its first 32 bytes', () => {
    const long = KEY + '-and-more';
    expect(decryptLegacy(KEY, encryptLegacy(long, 'hello'))).toBe('hello');
  });

  it('gives different outputs for the same text', () => {
    expect(encryptLegacy(KEY, 'same')).not.toBe(encryptLegacy(KEY, 'same'));
  });

  it('throws instead of returning garbage for typical passwords under a wrong key', () => {
    const wrong = createSecretBox('a-different-32-byte-key-for-test');
    TYPICAL_PASSWORDS.forEach((password, i) => {
      for (let seed = 0; seed < 25; seed++) {
        const stored = encryptLegacy(KEY, password, fixedIv(i * 100 + seed));
        expect(secretErrorOf(() => wrong.decrypt(stored, ROW)).reason).toBe(SecretErrorReason.WRONG_KEY);
      }
    });
  });

  it.each(['not base64!', 'AAAA', 'AAA', Buffer.alloc(15).toString('base64')])('throws a malformed SecretError for %j', (stored) => {
    const err = secretErrorOf(() => box.decrypt(stored, ROW));
    expect(err.reason).toBe(SecretErrorReason.MALFORMED);
  });

  it('accepts tab and newline in a legacy value', () => {
    expect(box.decrypt(encryptLegacy(KEY, 'line1\n\tline2'), ROW)).toBe('line1\n\tline2');
  });
});
