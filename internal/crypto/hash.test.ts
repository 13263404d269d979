import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, hmacSha256Hex, randomToken, sha256Hex } from './hash.js';

describe('constantTimeEqual', () => {
  it.each([
    ['', '', true],
    ['secret', 'secret', true],
    ['你好', '你好', true],
    ['secret', 'Secret', false],
    ['secret', 'secret ', false],
    ['short', 'a much longer string', false],
    ['', 'x', false],
  ])('%j vs %j → %s', (a, b, equal) => {
    expect(constantTimeEqual(a, b)).toBe(equal);
  });
});

describe('hash helpers', () => {
  it('sha256Hex matches a known vector', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hmacSha256Hex matches RFC 4231 test case 2', () => {
    expect(hmacSha256Hex('Jefe', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('randomToken gives 2 hex chars per byte, different each time', () => {
    expect(randomToken(16)).toMatch(/^[0-9a-f]{32}$/);
    expect(randomToken(16)).not.toBe(randomToken(16));
    expect(() => randomToken(0)).toThrow(RangeError);
  });

  it('sha256Hex agrees with node', () => {
    expect(sha256Hex('gw_live_x')).toBe(createHash('sha256').update('gw_live_x').digest('hex'));
  });
});
