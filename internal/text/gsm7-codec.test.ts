import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/seeded-random.js';
import { GSM7_BASIC, GSM7_EXTENSION } from './gsm7.js';
import { decodeGsm7Packed, decodeGsm7Unpacked, encodeGsm7Packed, encodeGsm7Unpacked } from './gsm7-codec.js';
import { udhFillBits } from './septet-packing.js';
import { TextCodecError } from './text-error.js';

const BASIC = GSM7_BASIC.filter((ch) => ch !== '\u001b');
const EXTENSION = [...GSM7_EXTENSION.values()];
const ALPHABET = [...BASIC, ...EXTENSION];
const hex = (b: Buffer): string => b.toString('hex').toUpperCase();

describe('encodeGsm7Unpacked / decodeGsm7Unpacked', () => {
  it('maps every basic character to its own septet and back', () => {
    const text = BASIC.join('');
    const septets = encodeGsm7Unpacked(text);
    expect(septets).toHaveLength(127);
    expect([...septets]).toEqual([...Array(128).keys()].filter((n) => n !== 0x1b));
    expect(decodeGsm7Unpacked(septets)).toBe(text);
  });

  it('writes extension characters as ESC + code', () => {
    for (const [code, ch] of GSM7_EXTENSION) {
      expect(encodeGsm7Unpacked(ch)).toEqual(Buffer.of(0x1b, code));
      expect(decodeGsm7Unpacked(Buffer.of(0x1b, code))).toBe(ch);
    }
  });

  it('encodes the SMS specials Kannel round-trips', () => {
    const specials = '@£$¥è{}[]~€_';
    expect(hex(encodeGsm7Unpacked(specials))).toBe('00010203041B281B291B3C1B3E1B3D1B6511');
    expect(decodeGsm7Unpacked(encodeGsm7Unpacked(specials))).toBe(specials);
  });

  it("encodes '$' as 0x02 and '¤' as 0x24, always", () => {
    expect(encodeGsm7Unpacked('$¤')).toEqual(Buffer.of(0x02, 0x24));
    expect(decodeGsm7Unpacked(Buffer.of(0x02, 0x24))).toBe('$¤');
  });

  it("reads 0x24 as '$' when asked (gomsggw compatibility)", () => {
    expect(decodeGsm7Unpacked(Buffer.of(0x24, 0x02), { dollarAt0x24: true })).toBe('$$');
  });

  it('rejects characters outside the alphabet, or writes ? when told', () => {
    expect(() => encodeGsm7Unpacked('ok ç')).toThrow(TextCodecError);
    expect(() => encodeGsm7Unpacked('ab😀')).toThrow(expect.objectContaining({ position: 2, reason: 'unencodable' }));
    expect(decodeGsm7Unpacked(encodeGsm7Unpacked('a😀b\u00a0', { onUnknown: 'replace' }))).toBe('a?b?');
  });

  it('rejects octets ≥ 0x80, a trailing ESC and unknown escapes; lenient mode writes ?', () => {
    expect(() => decodeGsm7Unpacked(Buffer.of(0x41, 0x80))).toThrow(/0x80/);
    expect(() => decodeGsm7Unpacked(Buffer.of(0x41, 0x1b))).toThrow(/ends with ESC/);
    expect(() => decodeGsm7Unpacked(Buffer.of(0x1b, 0x41))).toThrow(/extension table/);
    const lenient = { onUnknown: 'replace' } as const;
    expect(decodeGsm7Unpacked(Buffer.of(0x41, 0x80, 0x42), lenient)).toBe('A?B');
    expect(decodeGsm7Unpacked(Buffer.of(0x41, 0x1b), lenient)).toBe('A?');
    expect(decodeGsm7Unpacked(Buffer.of(0x1b, 0x41, 0x42), lenient)).toBe('?B');
    expect(decodeGsm7Unpacked(Buffer.of(0x1b, 0x1b, 0x42), lenient)).toBe('?B');
  });

  it('round-trips random texts over the whole alphabet (1000 cases)', () => {
    const rnd = seededRandom(0x6517);
    for (let i = 0; i < 1000; i++) {
      const text = rnd.string(ALPHABET, rnd.int(0, 200));
      expect(decodeGsm7Unpacked(encodeGsm7Unpacked(text))).toBe(text);
    }
  });
});

describe('encodeGsm7Packed / decodeGsm7Packed', () => {
  it('packs the well-known vectors', () => {
    expect(hex(encodeGsm7Packed('hellohello'))).toBe('E8329BFD4697D9EC37');
    expect(decodeGsm7Packed(Buffer.from('E8329BFD4697D9EC37', 'hex'))).toBe('hellohello');
    expect(hex(encodeGsm7Packed('hello'))).toBe('E8329BFD06');
  });

  it('aligns after a 6-octet UDH (1 fill bit) and a 7-octet UDH (none)', () => {
    expect(hex(encodeGsm7Packed('hello', { fillBits: udhFillBits(6) }))).toBe('D06536FB0D');
    expect(decodeGsm7Packed(Buffer.from('D06536FB0D', 'hex'), { fillBits: 1 })).toBe('hello');
    expect(hex(encodeGsm7Packed('hellohello', { fillBits: udhFillBits(7) }))).toBe('E8329BFD4697D9EC37');
  });

  it('pads 7 spare bits with CR and drops that padding when decoding (TS 23.038 §6.1.2.3.1)', () => {
    expect(hex(encodeGsm7Packed('1234567'))).toBe('31D98C56B3DD1A');
    expect(hex(encodeGsm7Packed('1234567', { padWithCr: false }))).toBe('31D98C56B3DD00');
    expect(decodeGsm7Packed(Buffer.from('31D98C56B3DD1A', 'hex'))).toBe('1234567');
    expect(decodeGsm7Packed(Buffer.from('31D98C56B3DD00', 'hex'))).toBe('1234567');
    expect(decodeGsm7Packed(Buffer.from('31D98C56B3DD00', 'hex'), { septets: 8 })).toBe('1234567@');
  });

  it('keeps an extension pair whole across the octet boundary', () => {
    const text = 'abcdef€{';
    for (let fill = 0; fill <= 6; fill++) {
      expect(decodeGsm7Packed(encodeGsm7Packed(text, { fillBits: fill }), { fillBits: fill })).toBe(text);
    }
  });

  it('round-trips random texts with every fill (1000 cases, exact septet count)', () => {
    const rnd = seededRandom(0x9ac4);
    for (let i = 0; i < 1000; i++) {
      const text = rnd.string(ALPHABET, rnd.int(0, 160));
      const fillBits = rnd.int(0, 6);
      const septets = encodeGsm7Unpacked(text).length;
      const packed = encodeGsm7Packed(text, { fillBits, padWithCr: false });
      expect(decodeGsm7Packed(packed, { fillBits, septets })).toBe(text);
    }
  });

  it('round-trips random texts without a septet count unless they end in @ or CR (1000 cases)', () => {
    const rnd = seededRandom(0x1e57);
    const last = ALPHABET.filter((ch) => ch !== '@' && ch !== '\r');
    for (let i = 0; i < 1000; i++) {
      const text = rnd.string(ALPHABET, rnd.int(0, 159)) + rnd.pick(last);
      const fillBits = rnd.int(0, 6);
      expect(decodeGsm7Packed(encodeGsm7Packed(text, { fillBits }), { fillBits })).toBe(text);
    }
  });
});
