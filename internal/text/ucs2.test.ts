import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/seeded-random.js';
import { TextCodecError } from './text-error.js';
import { decodeUcs2, encodeUcs2, loneSurrogateAt, ucs2CutAt, wellFormed } from './ucs2.js';

const PILE = ['a', 'é', 'я', '€', '中', '😀', '👍🏽', '𝄞', ' ', '\n'];

describe('encodeUcs2 / decodeUcs2', () => {
  it('writes UTF-16 big-endian, emoji as a surrogate pair', () => {
    expect(encodeUcs2('Aя')).toEqual(Buffer.of(0x00, 0x41, 0x04, 0x4f));
    expect(encodeUcs2('😀')).toEqual(Buffer.of(0xd8, 0x3d, 0xde, 0x00));
    expect(decodeUcs2(Buffer.of(0xd8, 0x3d, 0xde, 0x00, 0x00, 0x21))).toBe('😀!');
  });

  it('rejects an odd byte count, or replaces the stray byte', () => {
    expect(() => decodeUcs2(Buffer.of(0x00, 0x41, 0x00))).toThrow(TextCodecError);
    expect(decodeUcs2(Buffer.of(0x00, 0x41, 0x00), { onInvalid: 'replace' })).toBe('A\uFFFD');
    expect(decodeUcs2(Buffer.of(0x00, 0x41, 0x00), { onInvalid: 'keep' })).toBe('A\uFFFD');
  });

  it('rejects a lone surrogate, replaces it, or keeps it for joining', () => {
    const high = Buffer.of(0x00, 0x41, 0xd8, 0x3d);
    const low = Buffer.of(0xde, 0x00, 0x00, 0x42);
    expect(() => decodeUcs2(high)).toThrow(/lone surrogate at byte 2/);
    expect(decodeUcs2(high, { onInvalid: 'replace' })).toBe('A\uFFFD');
    const joined = decodeUcs2(high, { onInvalid: 'keep' }) + decodeUcs2(low, { onInvalid: 'keep' });
    expect(joined).toBe('A😀B');
    expect(loneSurrogateAt(joined)).toBe(-1);
  });

  it('round-trips random texts with emoji (1000 cases)', () => {
    const rnd = seededRandom(0x0c52);
    for (let i = 0; i < 1000; i++) {
      const text = rnd.string(PILE, rnd.int(0, 100));
      expect(decodeUcs2(encodeUcs2(text))).toBe(text);
    }
  });
});

describe('wellFormed', () => {
  it('replaces only unpaired surrogates', () => {
    expect(wellFormed('a😀b')).toBe('a😀b');
    expect(wellFormed('a\uD83Db')).toBe('a\uFFFDb');
    expect(wellFormed('\uDE00a\uD83D')).toBe('\uFFFDa\uFFFD');
    expect(wellFormed('\uD83D\uD83D\uDE00')).toBe('\uFFFD😀');
  });
});

describe('ucs2CutAt', () => {
  it('moves a cut back rather than split a surrogate pair', () => {
    const text = 'a'.repeat(66) + '😀' + 'b';
    expect(ucs2CutAt(text, 0, 67)).toBe(66);
    expect(ucs2CutAt(text, 0, 68)).toBe(68);
    expect(ucs2CutAt(text, 66, 67)).toBe(69);
  });

  it('never returns an empty part', () => {
    expect(ucs2CutAt('😀', 0, 1)).toBe(1);
  });
});
