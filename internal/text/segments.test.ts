import { describe, expect, it } from 'vitest';
import { GSM7_BASIC_INDEX, GSM7_EXTENSION_INDEX } from './gsm7.js';
import { chooseEncoding, gsm7Length, segmentInfo } from './segments.js';

describe('segmentInfo', () => {
  it('counts a plain 160-character GSM text as one segment and 161 as two', () => {
    expect(segmentInfo('a'.repeat(160))).toEqual({ encoding: 'gsm7', units: 160, segments: 1 });
    expect(segmentInfo('a'.repeat(161))).toEqual({ encoding: 'gsm7', units: 161, segments: 2 });
    expect(segmentInfo('a'.repeat(306)).segments).toBe(2);
    expect(segmentInfo('a'.repeat(307)).segments).toBe(3);
  });

  it('counts extension characters as two septets', () => {
    expect(gsm7Length('€{}')).toBe(6);
    expect(segmentInfo('€'.repeat(80))).toEqual({ encoding: 'gsm7', units: 160, segments: 1 });
    expect(segmentInfo('€'.repeat(81)).segments).toBe(2);
  });

  it('falls back to UCS-2 for characters outside GSM-7, counting UTF-16 units', () => {
    expect(segmentInfo('привет')).toEqual({ encoding: 'ucs2', units: 6, segments: 1 });
    expect(segmentInfo('😀').units).toBe(2);
    expect(segmentInfo('я'.repeat(70)).segments).toBe(1);
    expect(segmentInfo('я'.repeat(71)).segments).toBe(2);
  });

  it('counts every UTF-16 code unit as the GSM-7 tables say (basic 1, extension 2, else not GSM-7)', () => {
    const wrong: number[] = [];
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      const want = GSM7_BASIC_INDEX.has(ch) ? 1 : GSM7_EXTENSION_INDEX.has(ch) ? 2 : null;
      if (gsm7Length(`a${ch}`) !== (want === null ? null : want + 1)) wrong.push(c);
    }
    expect(wrong).toEqual([]);
    expect(gsm7Length('ok 😀')).toBeNull();
  });

  it('treats an empty text as one GSM-7 segment', () => {
    expect(segmentInfo('')).toEqual({ encoding: 'gsm7', units: 0, segments: 1 });
  });
});

describe('chooseEncoding', () => {
  it('picks GSM-7 when every character fits, extension table included', () => {
    expect(chooseEncoding('Hello @£$¥ {}[]~€_ ^|\\')).toBe('gsm7');
    expect(chooseEncoding('')).toBe('gsm7');
  });

  it('picks UCS-2 for anything else, NBSP and ¤-lookalikes included', () => {
    expect(chooseEncoding('ç')).toBe('ucs2');
    expect(chooseEncoding('a\u00a0b')).toBe('ucs2');
    expect(chooseEncoding('hi 😀')).toBe('ucs2');
    expect(chooseEncoding('`')).toBe('ucs2');
  });
});
