import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/seeded-random.js';
import { GSM7_BASIC, GSM7_EXTENSION, TextCodecError, encodeGsm7Packed, encodeGsm7Unpacked, encodeUcs2 } from '../text/index.js';
import { ShortMessageError, decodeShortMessage, describeDataCoding, type ShortMessageInput } from './data-coding.js';
import { joinPartTexts } from './split.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const GSM_ALPHABET = [...GSM7_BASIC.filter((ch) => ch !== '\u001b'), ...GSM7_EXTENSION.values()];
const decode = (input: Partial<ShortMessageInput> & Pick<ShortMessageInput, 'shortMessage'>) =>
  decodeShortMessage({ dataCoding: 0, esmClass: 0, ...input });

describe('describeDataCoding', () => {
  it.each([
    [0x00, 'gsm7'],
    [0x01, 'ascii'],
    [0x02, 'gsm7'],
    [0x03, 'latin1'],
    [0x04, 'gsm7'],
    [0x05, 'shift_jis'],
    [0x06, 'iso-8859-5'],
    [0x07, 'iso-8859-8'],
    [0x08, 'ucs2'],
    [0x09, 'gsm7'],
    [0x0a, 'iso-2022-jp'],
    [0x0b, 'gsm7'],
    [0x0c, 'gsm7'],
    [0x0d, 'euc-jp'],
    [0x0e, 'euc-kr'],
    [0x0f, 'gsm7'],
  ] as const)('reads SMPP data_coding %i as %s (upstream §8.4)', (dcs, alphabet) => {
    expect(describeDataCoding(dcs)).toEqual({ alphabet, group: 'smpp' });
  });

  it('reads the GSM 03.38 coding groups above 0x0F', () => {
    expect(describeDataCoding(0x10)).toEqual({ alphabet: 'gsm7', group: 'gsm-general', messageClass: 0 });
    expect(describeDataCoding(0x11)).toEqual({ alphabet: 'gsm7', group: 'gsm-general', messageClass: 1 });
    expect(describeDataCoding(0x18)).toEqual({ alphabet: 'ucs2', group: 'gsm-general', messageClass: 0 });
    expect(describeDataCoding(0x16)).toEqual({ alphabet: 'binary', group: 'gsm-general', messageClass: 2 });
    expect(describeDataCoding(0x3c)).toEqual({ alphabet: 'binary', group: 'gsm-general', messageClass: 0 });
    expect(describeDataCoding(0x48)).toEqual({ alphabet: 'ucs2', group: 'gsm-general' });
    expect(describeDataCoding(0x90)).toEqual({ alphabet: 'gsm7', group: 'reserved' });
    expect(describeDataCoding(0xc0)).toEqual({ alphabet: 'gsm7', group: 'gsm-mwi' });
    expect(describeDataCoding(0xd8)).toEqual({ alphabet: 'gsm7', group: 'gsm-mwi' });
    expect(describeDataCoding(0xe0)).toEqual({ alphabet: 'ucs2', group: 'gsm-mwi' });
  });

  it('reads 0xF0–0xFF by bit 2: GSM-7 or 8-bit data, with the message class (GSM 03.38 §4)', () => {
    expect(describeDataCoding(0xf0)).toEqual({ alphabet: 'gsm7', group: 'gsm-class', messageClass: 0 });
    expect(describeDataCoding(0xf1)).toEqual({ alphabet: 'gsm7', group: 'gsm-class', messageClass: 1 });
    expect(describeDataCoding(0xf4)).toEqual({ alphabet: 'binary', group: 'gsm-class', messageClass: 0 });
    expect(describeDataCoding(0xf6)).toEqual({ alphabet: 'binary', group: 'gsm-class', messageClass: 2 });
  });
});

describe('decodeShortMessage: data_coding', () => {
  it.each([
    [0x00, encodeGsm7Unpacked('Hi @£€{}_'), 'Hi @£€{}_', 'gsm7'],
    [0x01, Buffer.from('Hi there'), 'Hi there', 'ascii'],
    [0x01, hex('41e9'), 'Aé', 'ascii'],
    [0x02, encodeGsm7Unpacked('_x'), '_x', 'gsm7'],
    [0x03, Buffer.from('café', 'latin1'), 'café', 'latin1'],
    [0x04, encodeGsm7Unpacked('Ø'), 'Ø', 'gsm7'],
    [0x05, hex('82a082a2'), 'あい', 'shift_jis'],
    [0x06, hex('bfe0d8d2d5e2'), 'Привет', 'iso-8859-5'],
    [0x07, hex('f9ece5ed'), 'שלום', 'iso-8859-8'],
    [0x08, encodeUcs2('Привет ✓ 😀'), 'Привет ✓ 😀', 'ucs2'],
    [0x09, encodeGsm7Unpacked('§'), '§', 'gsm7'],
    [0x0a, hex('1b2442242224241b2842'), 'あい', 'iso-2022-jp'],
    [0x0b, encodeGsm7Unpacked('a'), 'a', 'gsm7'],
    [0x0c, encodeGsm7Unpacked('b'), 'b', 'gsm7'],
    [0x0d, hex('a4a2a4a4'), 'あい', 'euc-jp'],
    [0x0e, hex('b0a1b3aa'), '가나', 'euc-kr'],
    [0x0f, encodeGsm7Unpacked('c'), 'c', 'gsm7'],
    [0x18, encodeUcs2('flash ✓'), 'flash ✓', 'ucs2'],
    [0xf0, encodeGsm7Unpacked('class 0 €'), 'class 0 €', 'gsm7'],
    [0xf4, hex('00ff41'), '\u0000ÿA', 'binary'],
  ] as const)('data_coding %i reads its alphabet', (dataCoding, shortMessage, text, encoding) => {
    const decoded = decode({ dataCoding, shortMessage });
    expect(decoded).toMatchObject({ text, encoding, fromPayload: false, problems: [] });
    expect(decoded.udh).toBeUndefined();
  });

  it("reads GSM-7 0x24 as '$' like gomsggw, or as '¤' when asked", () => {
    expect(decode({ shortMessage: hex('24 02') }).text).toBe('$$');
    expect(decode({ shortMessage: hex('24 02'), dollarAt0x24: false }).text).toBe('¤$');
  });

  it('rejects undecodable text with ShortMessageError(text), or substitutes when lenient', () => {
    const bad = () => decode({ shortMessage: hex('41 1b 41') });
    expect(bad).toThrow(ShortMessageError);
    expect(bad).toThrow(expect.objectContaining({ reason: 'text', cause: expect.any(TextCodecError) }));
    expect(decode({ shortMessage: hex('41 1b 41'), onUnknown: 'replace' }).text).toBe('A?');
    expect(() => decode({ dataCoding: 8, shortMessage: hex('00 41 00') })).toThrow(/odd byte count/);
    expect(decode({ dataCoding: 8, shortMessage: hex('00 41 00'), onUnknown: 'replace' }).text).toBe('A\uFFFD');
    expect(() => decode({ dataCoding: 5, shortMessage: hex('82') })).toThrow(ShortMessageError);
  });
});

describe('decodeShortMessage: packed GSM-7', () => {
  it("reads unpacked by default ('no'), so packed octets fail", () => {
    expect(() => decode({ shortMessage: hex('E8329BFD4697D9EC37') })).toThrow(ShortMessageError);
  });

  it("reads packed when told ('yes')", () => {
    expect(decode({ shortMessage: hex('E8329BFD06'), packed: 'yes' })).toMatchObject({ text: 'hello', encoding: 'gsm7-packed' });
  });

  it("'auto' reads packed when an octet has its top bit set, including after a 6-octet UDH (1 fill bit)", () => {
    expect(decode({ shortMessage: hex('E8329BFD4697D9EC37'), packed: 'auto' }).text).toBe('hellohello');
    const udhPacked = decode({ shortMessage: hex('050003010201 D06536FB0D'), esmClass: 0x40, packed: 'auto' });
    expect(udhPacked).toMatchObject({ text: 'hello', encoding: 'gsm7-packed', concat: { ref: 1, total: 2, seq: 1 } });
  });

  it("'auto' never reads unpacked GSM-7 as packed (1000 random texts, Kannel-style)", () => {
    const rnd = seededRandom(0xa070);
    for (let i = 0; i < 1000; i++) {
      const text = rnd.string(GSM_ALPHABET, rnd.int(1, 160));
      const decoded = decode({ shortMessage: encodeGsm7Unpacked(text), packed: 'auto', dollarAt0x24: false });
      expect(decoded).toMatchObject({ text, encoding: 'gsm7' });
    }
  });

  it('round-trips packed text after a 16-bit concatenation UDH (7 octets, no fill)', () => {
    const text = 'Packed part two €';
    const shortMessage = Buffer.concat([hex('060804abcd0202'), encodeGsm7Packed(text)]);
    expect(decode({ shortMessage, esmClass: 0x40, packed: 'yes' }).text).toBe(text);
  });
});

describe('decodeShortMessage: UDH, SAR and message_payload', () => {
  it("decodes Kannel's 300-character GSM message sent as 153 + 147 with UDH 05 00 03 ref 02 0x, esm_class 0x43", () => {
    const text = Array.from({ length: 300 }, (_, i) => 'abcdefghij'[i % 10]).join('');
    const septets = encodeGsm7Unpacked(text);
    const parts = [
      Buffer.concat([hex('05 00 03 7f 02 01'), septets.subarray(0, 153)]),
      Buffer.concat([hex('05 00 03 7f 02 02'), septets.subarray(153)]),
    ].map((shortMessage) => decode({ shortMessage, esmClass: 0x43 }));
    expect(parts.map((p) => p.text.length)).toEqual([153, 147]);
    expect(parts.map((p) => p.concat)).toEqual([
      { ref: 0x7f, total: 2, seq: 1, refBits: 8 },
      { ref: 0x7f, total: 2, seq: 2, refBits: 8 },
    ]);
    expect(joinPartTexts(parts.map((p) => p.text))).toBe(text);
  });

  it("decodes Kannel's 100-character Cyrillic UCS-2 message sent as 67 + 33", () => {
    const text = 'Съешь же ещё этих мягких французских булок, да выпей чаю. '.repeat(2).slice(0, 100);
    const units = encodeUcs2(text);
    const parts = [
      Buffer.concat([hex('05 00 03 00 02 01'), units.subarray(0, 134)]),
      Buffer.concat([hex('05 00 03 00 02 02'), units.subarray(134)]),
    ].map((shortMessage) => decode({ shortMessage, esmClass: 0x43, dataCoding: 8 }));
    expect(parts.map((p) => p.text.length)).toEqual([67, 33]);
    expect(joinPartTexts(parts.map((p) => p.text))).toBe(text);
  });

  it('keeps an emoji whose surrogate pair a sender split across two parts', () => {
    const text = 'x'.repeat(66) + '😀' + 'tail';
    const units = encodeUcs2(text);
    const parts = [units.subarray(0, 134), units.subarray(134)].map((body, i) =>
      decode({ dataCoding: 8, esmClass: 0x40, shortMessage: Buffer.concat([Buffer.of(5, 0, 3, 9, 2, i + 1), body]) }),
    );
    expect(parts[0].text.endsWith('\uD83D')).toBe(true);
    expect(joinPartTexts(parts.map((p) => p.text))).toBe(text);
  });

  it('rejects a lone surrogate in a standalone UCS-2 message, or replaces it when lenient', () => {
    expect(() => decode({ dataCoding: 8, shortMessage: hex('0041d83d') })).toThrow(/lone surrogate/);
    expect(decode({ dataCoding: 8, shortMessage: hex('0041d83d'), onUnknown: 'replace' }).text).toBe('A\uFFFD');
  });

  it('throws ShortMessageError(udh) for a broken header', () => {
    expect(() => decode({ shortMessage: hex('07 00 03 01 02 01'), esmClass: 0x40 })).toThrow(expect.objectContaining({ reason: 'udh' }));
  });

  it('treats a part with an invalid concatenation IE as standalone and reports it', () => {
    const decoded = decode({ shortMessage: hex('05 00 03 01 02 05 41'), esmClass: 0x40 });
    expect(decoded).toMatchObject({ text: 'A', concat: undefined, problems: [expect.stringMatching(/sequence 5/)] });
  });

  it('takes concatenation from SAR TLVs when there is no UDH', () => {
    const decoded = decode({
      shortMessage: encodeGsm7Unpacked('part'),
      sar: { sar_msg_ref_num: 513, sar_total_segments: 3, sar_segment_seqnum: 2 },
    });
    expect(decoded.concat).toEqual({ ref: 513, total: 3, seq: 2, refBits: 16 });
    const partial = decode({ shortMessage: encodeGsm7Unpacked('part'), sar: { sar_msg_ref_num: 1 } });
    expect(partial.concat).toBeUndefined();
    expect(partial.problems).toEqual([expect.stringMatching(/together/)]);
  });

  it('prefers the UDH when both UDH and SAR describe the part', () => {
    const decoded = decode({
      shortMessage: hex('05 00 03 01 02 01 41'),
      esmClass: 0x40,
      sar: { sar_msg_ref_num: 9, sar_total_segments: 2, sar_segment_seqnum: 1 },
    });
    expect(decoded.concat).toEqual({ ref: 1, total: 2, seq: 1, refBits: 8 });
    expect(decoded.problems).toEqual([expect.stringMatching(/UDH wins/)]);
  });

  it('reads message_payload when short_message is empty, UDH included', () => {
    const long = 'p'.repeat(400);
    expect(decode({ shortMessage: Buffer.alloc(0), messagePayload: encodeGsm7Unpacked(long) })).toMatchObject({
      text: long,
      fromPayload: true,
    });
    const withUdh = decode({ shortMessage: Buffer.alloc(0), esmClass: 0x40, messagePayload: hex('05 00 03 02 02 02 41 42') });
    expect(withUdh).toMatchObject({ text: 'AB', fromPayload: true, concat: { ref: 2, total: 2, seq: 2 } });
  });

  it('ignores message_payload beside a non-empty short_message and says so', () => {
    const decoded = decode({ shortMessage: encodeGsm7Unpacked('sm'), messagePayload: encodeGsm7Unpacked('payload') });
    expect(decoded.text).toBe('sm');
    expect(decoded.problems).toEqual([expect.stringMatching(/message_payload ignored/)]);
  });

  it('returns an empty text for an empty message', () => {
    expect(decode({ shortMessage: Buffer.alloc(0) })).toMatchObject({ text: '', fromPayload: false });
  });
});
