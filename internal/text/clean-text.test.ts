import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/seeded-random.js';
import { cleanText, describeTextFault, hasControlCharacter, TextFault, textFault } from './clean-text.js';
import { decodeGsm7Unpacked } from './gsm7-codec.js';
import { loneSurrogateAt } from './ucs2.js';

describe('cleanText', () => {
  it('removes U+0000 wherever it is', () => {
    expect(cleanText('a\u0000b')).toBe('ab');
    expect(cleanText('\u0000\u0000x\u0000')).toBe('x');
    expect(cleanText('\u0000')).toBe('');
  });

  it('replaces an unpaired surrogate with U+FFFD and keeps pairs', () => {
    expect(cleanText('a\ud800b')).toBe('a\uFFFDb');
    expect(cleanText('\udc00')).toBe('\uFFFD');
    expect(cleanText('😀 \ud83d')).toBe('😀 \uFFFD');
    expect(cleanText('\ud83d\u0000\ude00')).toBe('😀'); // the NUL between the halves goes first
  });

  it('keeps every other character, C0 controls and DEL included', () => {
    const controls = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('') + '\u007f';
    expect(cleanText(controls)).toBe(controls);
    expect(cleanText('tab\there\r\nline\fpage €😀 中')).toBe('tab\there\r\nline\fpage €😀 中');
  });

  it('returns the very same string when there is nothing to clean', () => {
    const text = 'hello world';
    expect(cleanText(text)).toBe(text);
  });

  it("does not touch GSM-7 '@' (septet 0x00), which is no NUL", () => {
    expect(cleanText(decodeGsm7Unpacked(Buffer.of(0x00, 0x41, 0x00)))).toBe('@A@');
  });

  it('leaves no fault in random text, and is idempotent', () => {
    const random = seededRandom(1501);
    const units = ['\u0000', 'A', '\n', '\ud83d', '\ude00', '\ud800', '\udfff', '€'];
    for (let n = 0; n < 500; n++) {
      const text = random.string(units, 12);
      const clean = cleanText(text);
      expect(textFault(clean)).toBeUndefined();
      expect(clean.includes('\0')).toBe(false);
      expect(loneSurrogateAt(clean)).toBe(-1);
      expect(cleanText(clean)).toBe(clean);
    }
  });
});

describe('textFault', () => {
  it('names NUL first, then a lone surrogate', () => {
    expect(textFault('a\u0000')).toBe(TextFault.NUL);
    expect(textFault('\ud800\u0000')).toBe(TextFault.NUL);
    expect(textFault('\ud800')).toBe(TextFault.LONE_SURROGATE);
    expect(textFault('x\ude00')).toBe(TextFault.LONE_SURROGATE);
  });

  it('finds nothing wrong with emoji, controls or plain text', () => {
    expect(textFault('😀👍🏽')).toBeUndefined();
    expect(textFault('a\u0001\u001b\u007f')).toBeUndefined();
    expect(textFault('')).toBeUndefined();
  });

  it('is described naming the field', () => {
    expect(describeTextFault('text', TextFault.NUL)).toBe("'text' must not contain the NUL character (U+0000)");
    expect(describeTextFault('media[0].url', TextFault.LONE_SURROGATE)).toMatch(/^'media\[0\]\.url' .*surrogate/);
  });
});

describe('hasControlCharacter', () => {
  it('is true for C0 controls and DEL, false otherwise', () => {
    for (const ch of ['\u0000', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f']) expect(hasControlCharacter(`+1555${ch}1`)).toBe(true);
    for (const value of ['+15550001000', 'id@host', 'Ünïcode', '\u0080', '😀']) expect(hasControlCharacter(value)).toBe(false);
  });
});
