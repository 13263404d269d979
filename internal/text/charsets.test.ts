import { describe, expect, it } from 'vitest';
import {
  LEGACY_CHARSETS,
  decodeAscii,
  decodeLatin1,
  decodeLegacyCharset,
  encodeAscii,
  encodeLatin1,
  legacyCharsetSupported,
} from './charsets.js';
import { TextCodecError } from './text-error.js';

describe('Latin-1 (ISO-8859-1)', () => {
  it('maps every byte to the code point of the same value (not windows-1252)', () => {
    const all = Buffer.from([...Array(256).keys()]);
    const text = decodeLatin1(all);
    expect([...text].map((c) => c.charCodeAt(0))).toEqual([...all]);
    expect(decodeLatin1(Buffer.of(0x80))).toBe('\u0080');
    expect(encodeLatin1(text)).toEqual(all);
  });

  it('rejects code points above U+00FF, or writes ?', () => {
    expect(() => encodeLatin1('café €')).toThrow(TextCodecError);
    expect(encodeLatin1('café €', { onUnknown: 'replace' }).toString('latin1')).toBe('café ?');
  });

  it('reads a subarray without its neighbours', () => {
    const big = Buffer.from('xxABCxx', 'latin1');
    expect(decodeLatin1(big.subarray(2, 5))).toBe('ABC');
  });
});

describe('IA5 / ASCII', () => {
  it('round-trips 7-bit text', () => {
    const text = 'Hello, world! ~{|}_@$';
    expect(decodeAscii(encodeAscii(text))).toBe(text);
  });

  it('rejects 8-bit bytes and non-ASCII text, or writes ?', () => {
    expect(() => decodeAscii(Buffer.of(0x41, 0xe9))).toThrow(/0xe9 at 1/);
    expect(decodeAscii(Buffer.of(0x41, 0xe9), { onUnknown: 'replace' })).toBe('A?');
    expect(() => encodeAscii('é')).toThrow(TextCodecError);
    expect(encodeAscii('é😀', { onUnknown: 'replace' }).toString()).toBe('??');
  });
});

describe('legacy character sets through TextDecoder', () => {
  const samples: Record<string, [string, string]> = {
    shift_jis: ['82a082a2', 'あい'],
    'iso-8859-5': ['b0d0', 'Аа'],
    'iso-8859-8': ['e0e1', 'אב'],
    'iso-2022-jp': ['1b2442242224241b2842', 'あい'],
    'euc-jp': ['a4a2a4a4', 'あい'],
    'euc-kr': ['b0a1b3aa', '가나'],
  };

  it.each(LEGACY_CHARSETS)('decodes %s on this Node', (charset) => {
    expect(legacyCharsetSupported(charset)).toBe(true);
    const [bytes, text] = samples[charset];
    expect(decodeLegacyCharset(charset, Buffer.from(bytes, 'hex'))).toEqual({ text, fallback: false });
  });

  it('rejects malformed bytes, or replaces them with U+FFFD', () => {
    const bad = Buffer.of(0x82);
    expect(() => decodeLegacyCharset('shift_jis', bad)).toThrow(TextCodecError);
    expect(decodeLegacyCharset('shift_jis', bad, { onUnknown: 'replace' }).text).toBe('\uFFFD');
  });
});
