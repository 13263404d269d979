import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/seeded-random.js';
import { GSM7_BASIC, GSM7_EXTENSION, decodeGsm7Unpacked, decodeUcs2 } from '../text/index.js';
import { ValidationError } from '../errors/index.js';
import { decodeShortMessage, type DecodedShortMessage } from './data-coding.js';
import { joinPartTexts, splitForSmpp, type SplitMethod, type SplitOptions } from './split.js';
import type { SmppPart } from './types.js';

const hex = (b: Buffer): string => b.toString('hex');
const GSM_ALPHABET = [...GSM7_BASIC.filter((ch) => ch !== '\u001b'), ...GSM7_EXTENSION.values()];
const UCS2_PILE = ['a', ' ', 'я', 'é', '中', '€', '😀', '👍🏽', '𝄞', '{'];

/** What a receiving ESME does: decode each part, order by seq, join. */
function reassemble(parts: SmppPart[], packed = false): string {
  const decoded: DecodedShortMessage[] = parts.map((part) =>
    decodeShortMessage({
      dataCoding: part.dataCoding,
      esmClass: part.esmClass,
      shortMessage: part.shortMessage,
      messagePayload: part.tlvs?.message_payload,
      sar: part.tlvs,
      packed: packed ? 'yes' : 'no',
      dollarAt0x24: false,
    }),
  );
  decoded.sort((a, b) => (a.concat?.seq ?? 0) - (b.concat?.seq ?? 0));
  return joinPartTexts(decoded.map((d) => d.text));
}

describe('splitForSmpp: GSM-7', () => {
  it('sends up to 160 septets as one plain part, whatever the method', () => {
    for (const method of ['udh', 'sar', 'payload', 'none'] as const) {
      const [part, ...rest] = splitForSmpp('a'.repeat(160), { ref: 1, method });
      expect(rest).toEqual([]);
      expect(part).toEqual({ shortMessage: Buffer.alloc(160, 0x61), esmClass: 0, dataCoding: 0 });
    }
  });

  it('splits 300 characters into 153 + 147 with UDH 05 00 03 ref 02 0x and esm_class 0x40, as Kannel does', () => {
    const text = 'k'.repeat(300);
    const parts = splitForSmpp(text, { ref: 0x42, method: 'udh' });
    expect(parts).toHaveLength(2);
    expect(hex(parts[0].shortMessage.subarray(0, 6))).toBe('050003420201');
    expect(hex(parts[1].shortMessage.subarray(0, 6))).toBe('050003420202');
    expect(parts.map((p) => p.shortMessage.length - 6)).toEqual([153, 147]);
    expect(parts.every((p) => p.esmClass === 0x40 && p.dataCoding === 0 && p.tlvs === undefined)).toBe(true);
    expect(reassemble(parts)).toBe(text);
  });

  it('counts extension characters as two septets and never splits ESC from its code', () => {
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(10);
    const parts = splitForSmpp(text, { ref: 7, method: 'udh' });
    const bodies = parts.map((p) => decodeGsm7Unpacked(p.shortMessage.subarray(6)));
    expect(bodies).toEqual(['a'.repeat(152), '€' + 'b'.repeat(10)]);
    expect(splitForSmpp('€'.repeat(80), { ref: 1, method: 'udh' })).toHaveLength(1);
    expect(splitForSmpp('€'.repeat(81), { ref: 1, method: 'udh' })).toHaveLength(2);
  });

  it('uses 152 septets per part with a 16-bit reference (06 08 04 …)', () => {
    const parts = splitForSmpp('z'.repeat(304), { ref: 0x1234, method: 'udh', refBits: 16 });
    expect(parts.map((p) => hex(p.shortMessage.subarray(0, 7)))).toEqual(['06080412340201', '06080412340202']);
    expect(parts.map((p) => p.shortMessage.length - 7)).toEqual([152, 152]);
  });

  it('masks the reference to 8 bits for an 8-bit UDH', () => {
    expect(splitForSmpp('x'.repeat(200), { ref: 0x1ff, method: 'udh' })[0].shortMessage[3]).toBe(0xff);
  });

  it('packs septets after the UDH when asked (1 fill bit, 140 octets a part)', () => {
    const text = 'p'.repeat(306);
    const parts = splitForSmpp(text, { ref: 3, method: 'udh', packed: true });
    expect(parts.map((p) => p.shortMessage.length)).toEqual([140, 140]);
    expect(reassemble(parts, true)).toBe(text);
    expect(splitForSmpp('hellohello', { ref: 0, method: 'udh', packed: true })[0].shortMessage).toEqual(
      Buffer.from('E8329BFD4697D9EC37', 'hex'),
    );
  });

  it("moves a packed cut so no part ends in '@' on an octet boundary (it would read as padding)", () => {
    const text = 'a'.repeat(152) + '@' + 'b'.repeat(10);
    const parts = splitForSmpp(text, { ref: 3, method: 'udh', packed: true });
    expect(
      parts.map((p) => decodeShortMessage({ dataCoding: 0, esmClass: 0x40, shortMessage: p.shortMessage, packed: 'yes' }).text),
    ).toEqual(['a'.repeat(152), '@' + 'b'.repeat(10)]);
  });

  it('rejects characters outside GSM-7 when GSM-7 is forced, or writes ?', () => {
    expect(() => splitForSmpp('😀', { ref: 0, method: 'udh', encoding: 'gsm7' })).toThrow(ValidationError);
    expect(splitForSmpp('a😀', { ref: 0, method: 'udh', encoding: 'gsm7', onUnknown: 'replace' })[0].shortMessage).toEqual(
      Buffer.from('a?'),
    );
  });
});

describe('splitForSmpp: UCS-2', () => {
  it('sends up to 70 units as one part with data_coding 8', () => {
    const parts = splitForSmpp('я'.repeat(70), { ref: 1, method: 'udh' });
    expect(parts).toEqual([{ shortMessage: Buffer.from('я'.repeat(70), 'utf16le').swap16(), esmClass: 0, dataCoding: 8 }]);
  });

  it('splits 100 Cyrillic characters into 67 + 33, as Kannel does', () => {
    const text = 'ж'.repeat(100);
    const parts = splitForSmpp(text, { ref: 0, method: 'udh' });
    expect(parts.map((p) => hex(p.shortMessage.subarray(0, 6)))).toEqual(['050003000201', '050003000202']);
    expect(parts.map((p) => (p.shortMessage.length - 6) / 2)).toEqual([67, 33]);
    expect(reassemble(parts)).toBe(text);
  });

  it('never splits an emoji across parts', () => {
    const text = 'x'.repeat(66) + '😀' + 'y'.repeat(20);
    const parts = splitForSmpp(text, { ref: 5, method: 'udh' });
    const bodies = parts.map((p) => decodeUcs2(p.shortMessage.subarray(6)));
    expect(bodies).toEqual(['x'.repeat(66), '😀' + 'y'.repeat(20)]);
  });

  it('uses 66 units per part with a 16-bit reference', () => {
    const parts = splitForSmpp('ю'.repeat(132), { ref: 9, method: 'udh', refBits: 16 });
    expect(parts.map((p) => (p.shortMessage.length - 7) / 2)).toEqual([66, 66]);
  });
});

describe('splitForSmpp: methods', () => {
  const text = 'm'.repeat(200);

  it("'sar' sends plain parts with sar_* TLVs and a 16-bit reference", () => {
    const parts = splitForSmpp(text, { ref: 0x1_0203, method: 'sar' });
    expect(parts.map((p) => [p.esmClass, p.shortMessage.length, p.tlvs])).toEqual([
      [0, 153, { sar_msg_ref_num: 0x0203, sar_total_segments: 2, sar_segment_seqnum: 1 }],
      [0, 47, { sar_msg_ref_num: 0x0203, sar_total_segments: 2, sar_segment_seqnum: 2 }],
    ]);
    expect(reassemble(parts)).toBe(text);
  });

  it("'payload' sends one deliver_sm with an empty short_message and the text in message_payload", () => {
    const parts = splitForSmpp(text, { ref: 1, method: 'payload' });
    expect(parts).toEqual([
      { shortMessage: Buffer.alloc(0), esmClass: 0, dataCoding: 0, tlvs: { message_payload: Buffer.alloc(200, 0x6d) } },
    ]);
    expect(reassemble(splitForSmpp('😀'.repeat(100), { ref: 1, method: 'payload' }))).toBe('😀'.repeat(100));
  });

  it("'none' sends gomsggw's independent parts: no UDH, no TLVs, esm_class 0 (Zultys)", () => {
    const parts = splitForSmpp(text, { ref: 1, method: 'none' });
    expect(parts).toEqual([
      { shortMessage: Buffer.alloc(153, 0x6d), esmClass: 0, dataCoding: 0 },
      { shortMessage: Buffer.alloc(47, 0x6d), esmClass: 0, dataCoding: 0 },
    ]);
  });

  it('sends an empty text as one empty part', () => {
    expect(splitForSmpp('', { ref: 0, method: 'udh' })).toEqual([{ shortMessage: Buffer.alloc(0), esmClass: 0, dataCoding: 0 }]);
  });

  it('refuses more than 255 parts and a bad reference', () => {
    expect(() => splitForSmpp('a'.repeat(153 * 255 + 1), { ref: 0, method: 'udh' })).toThrow(/256 parts/);
    expect(splitForSmpp('a'.repeat(153 * 255), { ref: 0, method: 'udh' })).toHaveLength(255);
    expect(() => splitForSmpp('a', { ref: -1, method: 'udh' })).toThrow(RangeError);
  });
});

describe('splitForSmpp / decodeShortMessage round trips', () => {
  const methods: SplitMethod[] = ['udh', 'sar', 'payload', 'none'];

  it('joins back to the text for random GSM-7 and UCS-2 texts over every method (1000 cases)', () => {
    const rnd = seededRandom(0x5b11);
    for (let i = 0; i < 1000; i++) {
      const gsm = rnd.next() < 0.5;
      const text = gsm ? rnd.string(GSM_ALPHABET, rnd.int(0, 700)) : rnd.string(UCS2_PILE, rnd.int(0, 300));
      const options: SplitOptions = { ref: rnd.int(0, 70000), method: rnd.pick(methods), refBits: rnd.pick([8, 16] as const) };
      const parts = splitForSmpp(text, options);
      for (const part of parts) {
        expect(part.shortMessage.length).toBeLessThanOrEqual(part.tlvs?.message_payload ? 0 : 160);
      }
      expect(reassemble(parts)).toBe(text);
    }
  });

  it('joins back to the text with packed GSM-7 (1000 cases)', () => {
    const rnd = seededRandom(0x9acc);
    const last = GSM_ALPHABET.filter((ch) => ch !== '@' && ch !== '\r');
    for (let i = 0; i < 1000; i++) {
      const text = rnd.string(GSM_ALPHABET, rnd.int(0, 600)) + rnd.pick(last);
      const parts = splitForSmpp(text, {
        ref: i,
        method: rnd.pick(['udh', 'sar'] as const),
        packed: true,
        refBits: rnd.pick([8, 16] as const),
      });
      for (const part of parts) expect(part.shortMessage.length).toBeLessThanOrEqual(140);
      expect(reassemble(parts, true)).toBe(text);
    }
  });
});
