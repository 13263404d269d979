import { describe, expect, it } from 'vitest';
import { createKeyCheck, verifyKeyCheck } from './key-check.js';
import { createSecretBox } from './secret-box.js';

describe('key check', () => {
  it('verifies with the key that created it', () => {
    const box = createSecretBox('key-one');
    expect(verifyKeyCheck(box, createKeyCheck(box))).toBe(true);
  });

  it('fails with another key', () => {
    const token = createKeyCheck(createSecretBox('key-one'));
    expect(verifyKeyCheck(createSecretBox('key-two'), token)).toBe(false);
  });

  it('fails on a malformed or foreign token', () => {
    const box = createSecretBox('key-one');
    expect(verifyKeyCheck(box, 'AAAA')).toBe(false);
    expect(verifyKeyCheck(box, box.encrypt('something else', 'key-check'))).toBe(false);
  });
});
