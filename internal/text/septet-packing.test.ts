import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/seeded-random.js';
import { endsWithSpareSeptet, packSeptets, packedLength, septetCapacity, udhFillBits, unpackSeptets } from './septet-packing.js';

/** Reference packer over an explicit bit list (LSB first), independent of the shifting code. */
function referencePack(septets: readonly number[], fillBits: number): Buffer {
  const bits: number[] = Array.from({ length: fillBits }, () => 0);
  for (const s of septets) for (let i = 0; i < 7; i++) bits.push((s >> i) & 1);
  while (bits.length % 8) bits.push(0);
  const out: number[] = [];
  for (let j = 0; j < bits.length; j += 8) out.push(bits.slice(j, j + 8).reduce((acc, b, i) => acc | (b << i), 0));
  return Buffer.from(out);
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

describe('udhFillBits', () => {
  it('aligns text after a 6-octet UDH with 1 fill bit and after a 7-octet UDH with none', () => {
    expect(udhFillBits(0)).toBe(0);
    expect(udhFillBits(6)).toBe(1);
    expect(udhFillBits(7)).toBe(0);
    expect(udhFillBits(5)).toBe(2);
    expect(udhFillBits(12)).toBe(2);
  });

  it('always lands the text on a septet boundary', () => {
    for (let n = 0; n < 140; n++) expect((n * 8 + udhFillBits(n)) % 7).toBe(0);
  });
});

describe('packSeptets', () => {
  it('packs the well-known vectors', () => {
    expect(packSeptets(ascii('hellohello')).toString('hex').toUpperCase()).toBe('E8329BFD4697D9EC37');
    expect(packSeptets(ascii('hello')).toString('hex').toUpperCase()).toBe('E8329BFD06');
    expect(packSeptets(ascii('1234567')).toString('hex').toUpperCase()).toBe('31D98C56B3DD00');
  });

  it('shifts text by one fill bit after a 6-octet UDH', () => {
    expect(packSeptets(ascii('hello'), 1).toString('hex').toUpperCase()).toBe('D06536FB0D');
    expect(packSeptets(ascii('A'), 1)).toEqual(Buffer.of(0x82));
  });

  it('packs 8 septets into 7 octets', () => {
    expect(packSeptets(ascii('abcdefgh'))).toHaveLength(7);
    expect(packedLength(8)).toBe(7);
    expect(packedLength(153, 1)).toBe(134);
    expect(packedLength(160)).toBe(140);
  });

  it('rejects fill bits outside 0..6', () => {
    expect(() => packSeptets([1], 7)).toThrow(RangeError);
    expect(() => packSeptets([1], -1)).toThrow(RangeError);
  });

  it('matches a bit-by-bit reference for random septets and every fill (1000 cases)', () => {
    const rnd = seededRandom(0x5e97);
    for (let i = 0; i < 1000; i++) {
      const septets = Array.from({ length: rnd.int(0, 170) }, () => rnd.int(0, 127));
      const fill = rnd.int(0, 6);
      const packed = packSeptets(septets, fill);
      expect(packed).toEqual(referencePack(septets, fill));
      expect([...unpackSeptets(packed, fill, septets.length)]).toEqual(septets);
    }
  });
});

describe('unpackSeptets', () => {
  it('reads every whole septet by default, including a trailing spare one', () => {
    expect([...unpackSeptets(Buffer.from('E8329BFD06', 'hex'))]).toEqual(ascii('hello'));
    expect([...unpackSeptets(Buffer.from('31D98C56B3DD00', 'hex'))]).toEqual([...ascii('1234567'), 0]);
  });

  it('skips fill bits', () => {
    expect([...unpackSeptets(Buffer.from('D06536FB0D', 'hex'), 1)]).toEqual(ascii('hello'));
  });

  it('throws RangeError for a count that does not fit', () => {
    expect(() => unpackSeptets(Buffer.alloc(7), 0, 9)).toThrow(RangeError);
    expect(() => unpackSeptets(Buffer.alloc(7), 1, 8)).toThrow(RangeError);
    expect(unpackSeptets(Buffer.alloc(0))).toHaveLength(0);
  });

  it('knows when the last septet may be padding', () => {
    expect(septetCapacity(7)).toBe(8);
    expect(endsWithSpareSeptet(7)).toBe(true);
    expect(endsWithSpareSeptet(5)).toBe(false);
    expect(endsWithSpareSeptet(0)).toBe(false);
    expect(endsWithSpareSeptet(8, 1)).toBe(true);
    expect(endsWithSpareSeptet(9, 1)).toBe(false);
    expect(endsWithSpareSeptet(14, 0)).toBe(true);
  });
});
