import { describe, expect, it } from 'vitest';
import { buildUdh, concatElement, concatFromSar, concatUdh, parseUdh, sarTlvs, validateConcat, type ConcatInfo } from './udh.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('parseUdh', () => {
  it("reads Kannel's 8-bit concatenation IE and returns the body after it", () => {
    const result = parseUdh(hex('05 00 03 2a 02 01 48 69'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.udh.length).toBe(6);
    expect(result.udh.concat).toEqual({ ref: 0x2a, total: 2, seq: 1, refBits: 8 });
    expect(result.udh.problems).toEqual([]);
    expect(result.body).toEqual(Buffer.from('Hi'));
  });

  it('reads the 16-bit concatenation IE', () => {
    const result = parseUdh(hex('06 08 04 12 34 03 03 41'));
    expect(result.ok && result.udh.concat).toEqual({ ref: 0x1234, total: 3, seq: 3, refBits: 16 });
    expect(result.ok && result.body).toEqual(Buffer.from('A'));
  });

  it('keeps unknown IEs in order beside the concatenation IE', () => {
    const result = parseUdh(hex('0b 05 04 0b 84 23 f0 00 03 07 02 02 ff'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.udh.elements).toEqual([
      { iei: 0x05, data: hex('0b 84 23 f0') },
      { iei: 0x00, data: hex('07 02 02') },
    ]);
    expect(result.udh.concat).toEqual({ ref: 7, total: 2, seq: 2, refBits: 8 });
    expect(result.body).toEqual(Buffer.of(0xff));
  });

  it('uses the last concatenation IE when there are several (TS 23.040 §9.2.3.24)', () => {
    const result = parseUdh(hex('0a 00 03 01 02 01 00 03 09 02 02'));
    expect(result.ok && result.udh.concat).toEqual({ ref: 9, total: 2, seq: 2, refBits: 8 });
  });

  it('ignores an invalid concatenation IE and says why', () => {
    for (const [udh, why] of [
      ['05 00 03 01 00 01', /total 0/],
      ['05 00 03 01 02 00', /sequence 0/],
      ['05 00 03 01 02 03', /sequence 3 is outside 1..2/],
      ['04 00 02 01 02', /2 data octets, expected 3/],
      ['05 08 03 01 02 01', /3 data octets, expected 4/],
    ] as const) {
      const result = parseUdh(hex(udh));
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.udh.concat).toBeUndefined();
      expect(result.udh.problems.join()).toMatch(why);
    }
  });

  it('reports broken framing instead of throwing', () => {
    expect(parseUdh(Buffer.alloc(0))).toEqual({ ok: false, error: expect.stringMatching(/empty/) });
    expect(parseUdh(hex('05 00 03 01'))).toEqual({ ok: false, error: expect.stringMatching(/exceeds/) });
    expect(parseUdh(hex('03 00 03 01'))).toEqual({ ok: false, error: expect.stringMatching(/overruns/) });
    expect(parseUdh(hex('01 00'))).toEqual({ ok: false, error: expect.stringMatching(/inside an IE header/) });
  });

  it('accepts an empty header', () => {
    const result = parseUdh(hex('00 41'));
    expect(result.ok && result.udh).toEqual({ length: 1, elements: [], problems: [] });
  });
});

describe('buildUdh / concatUdh', () => {
  it('writes 05 00 03 ref total seq and 06 08 04 refHi refLo total seq', () => {
    expect(concatUdh({ ref: 0x42, total: 2, seq: 1, refBits: 8 })).toEqual(hex('05 00 03 42 02 01'));
    expect(concatUdh({ ref: 0xabcd, total: 5, seq: 4, refBits: 16 })).toEqual(hex('06 08 04 ab cd 05 04'));
  });

  it('round-trips through parseUdh with other IEs', () => {
    const elements = [{ iei: 0x24, data: hex('01') }, concatElement({ ref: 300, total: 9, seq: 8, refBits: 16 })];
    const result = parseUdh(Buffer.concat([buildUdh(elements), Buffer.from('x')]));
    expect(result.ok && result.udh.elements).toEqual(elements);
    expect(result.ok && result.udh.concat).toEqual({ ref: 300, total: 9, seq: 8, refBits: 16 });
  });

  it('refuses a header longer than 255 octets', () => {
    expect(() => buildUdh([{ iei: 0x70, data: Buffer.alloc(254) }])).toThrow(RangeError);
  });
});

describe('validateConcat', () => {
  it('accepts seq 1..total with total ≥ 1 and a reference in range', () => {
    expect(validateConcat({ ref: 255, total: 1, seq: 1, refBits: 8 })).toEqual([]);
    expect(validateConcat({ ref: 65535, total: 255, seq: 255, refBits: 16 })).toEqual([]);
  });

  it('lists every problem', () => {
    expect(validateConcat({ ref: 256, total: 0, seq: 1, refBits: 8 })).toHaveLength(3);
    expect(validateConcat({ ref: -1, total: 256, seq: 1.5, refBits: 16 })).toHaveLength(3);
  });
});

describe('SAR TLVs', () => {
  it('map to the same ConcatInfo as a UDH (16-bit reference)', () => {
    const fromSar = concatFromSar({ sar_msg_ref_num: 0x42, sar_total_segments: 2, sar_segment_seqnum: 2 });
    const fromUdh = parseUdh(hex('05 00 03 42 02 02'));
    expect(fromSar).toEqual({ ok: true, concat: { ref: 0x42, total: 2, seq: 2, refBits: 16 } });
    const { refBits: _a, ...sar } = (fromSar.ok && fromSar.concat) as ConcatInfo;
    const { refBits: _b, ...udh } = (fromUdh.ok && fromUdh.udh.concat) as ConcatInfo;
    expect(sar).toEqual(udh);
  });

  it('are absent, complete, or an error', () => {
    expect(concatFromSar({})).toEqual({ ok: true });
    expect(concatFromSar({ sar_msg_ref_num: 1, sar_total_segments: 2 })).toEqual({ ok: false, error: expect.stringMatching(/together/) });
    expect(concatFromSar({ sar_msg_ref_num: 1, sar_total_segments: 2, sar_segment_seqnum: 3 })).toEqual({
      ok: false,
      error: expect.stringMatching(/sequence 3/),
    });
  });

  it('are written back from ConcatInfo', () => {
    const concat: ConcatInfo = { ref: 0x1234, total: 3, seq: 2, refBits: 16 };
    expect(sarTlvs(concat)).toEqual({ sar_msg_ref_num: 0x1234, sar_total_segments: 3, sar_segment_seqnum: 2 });
    expect(concatFromSar(sarTlvs(concat))).toEqual({ ok: true, concat });
  });
});
