import { describe, expect, it } from 'vitest';
import { messageSchema } from '../../proto/message.js';
import type { ClientSettings, SplitMethod } from '../store/index.js';
import { decodeGsm7Unpacked, decodeUcs2, encodeGsm7Unpacked } from '../text/index.js';
import { ConcatRefs } from './concat-ref.js';
import { messagePlan, splitMethodFor } from './deliver-job.js';
import type { SmppPart } from './types.js';

const UDHI = 0x40;
const CYRILLIC = 'Привет мир, как дела? ';

function plan(text: string, method: SplitMethod | null, refs = new ConcatRefs(8, 10, () => 0.5)) {
  const message = messageSchema.parse({
    v: 1,
    id: 'm1',
    type: 'sms',
    from: '+15550000001',
    to: '+15550000002',
    text,
    origin: { kind: 'smpp', clientId: 1, node: 'n1' },
    receivedAt: 0,
  });
  const settings = method === null ? null : ({ splitMethod: method, disableMessageSplitting: method === 'payload' } as ClientSettings);
  return messagePlan(message, settings, refs);
}

/** Payload octets after a concatenation UDH (its length octet plus one). */
const body = (p: SmppPart): Buffer => ((p.esmClass & UDHI) !== 0 ? p.shortMessage.subarray(p.shortMessage[0]! + 1) : p.shortMessage);
const gsmText = (parts: SmppPart[]): string => parts.map((p) => decodeGsm7Unpacked(body(p))).join('');
const ucsText = (parts: SmppPart[]): string => parts.map((p) => decodeUcs2(body(p))).join('');

describe('messagePlan: how a long deliver_sm is cut for each split_method', () => {
  const gsm300 = 'g'.repeat(300);
  const ucs100 = CYRILLIC.repeat(5).slice(0, 100);

  it('sends what fits one SMS (160 septets, 70 UCS-2 units) as one plain part, whatever the method', () => {
    for (const method of ['udh', 'sar', 'payload', 'none'] as const) {
      for (const text of ['a'.repeat(160), '€'.repeat(80), CYRILLIC.repeat(4).slice(0, 70)]) {
        const { parts } = plan(text, method);
        expect(parts, `${method} ${text.length}`).toHaveLength(1);
        expect(parts[0]).toMatchObject({ esmClass: 0 });
        expect(parts[0]!.tlvs).toBeUndefined();
      }
    }
  });

  it("'udh': 153 septets / 67 units a part behind 05 00 03 ref total seq, esm_class 0x40", () => {
    const gsm = plan(gsm300, 'udh').parts;
    expect(gsm.map((p) => p.shortMessage.subarray(0, 6).toString('hex'))).toEqual(['050003800201', '050003800202']);
    expect(gsm.map((p) => body(p).length)).toEqual([153, 147]);
    expect(gsm.every((p) => p.esmClass === UDHI && p.dataCoding === 0 && p.tlvs === undefined)).toBe(true);
    expect(gsmText(gsm)).toBe(gsm300);
    const ucs = plan(ucs100, 'udh').parts;
    expect(ucs.map((p) => body(p).length / 2)).toEqual([67, 33]);
    expect(ucs.every((p) => p.esmClass === UDHI && p.dataCoding === 8)).toBe(true);
    expect(ucsText(ucs)).toBe(ucs100);
  });

  it("'sar': 153 septets / 67 units a part, no UDH, sar_msg_ref_num / sar_total_segments / sar_segment_seqnum", () => {
    const gsm = plan(gsm300, 'sar').parts;
    expect(gsm.map((p) => p.shortMessage.length)).toEqual([153, 147]);
    expect(gsm.map((p) => p.tlvs)).toEqual([
      { sar_msg_ref_num: 0x80, sar_total_segments: 2, sar_segment_seqnum: 1 },
      { sar_msg_ref_num: 0x80, sar_total_segments: 2, sar_segment_seqnum: 2 },
    ]);
    expect(gsm.every((p) => p.esmClass === 0 && p.dataCoding === 0)).toBe(true);
    expect(gsmText(gsm)).toBe(gsm300);
    const ucs = plan(ucs100, 'sar').parts;
    expect(ucs.map((p) => p.shortMessage.length / 2)).toEqual([67, 33]);
    expect(ucs.map((p) => p.tlvs?.sar_segment_seqnum)).toEqual([1, 2]);
    expect(ucs.every((p) => p.esmClass === 0 && p.dataCoding === 8)).toBe(true);
    expect(ucsText(ucs)).toBe(ucs100);
  });

  it("'payload': one deliver_sm, empty short_message, the whole text in message_payload", () => {
    const [gsm, ...none] = plan(gsm300, 'payload').parts;
    expect(none).toEqual([]);
    expect(gsm).toMatchObject({ esmClass: 0, dataCoding: 0, shortMessage: Buffer.alloc(0) });
    expect(gsm!.tlvs?.message_payload).toEqual(encodeGsm7Unpacked(gsm300));
    const [ucs] = plan(ucs100, 'payload').parts;
    expect(ucs).toMatchObject({ esmClass: 0, dataCoding: 8 });
    expect(decodeUcs2(ucs!.tlvs!.message_payload!)).toBe(ucs100);
  });

  it("'none': gomsggw's plain parts of at most 153 septets / 67 units, no UDH, no TLVs, esm_class 0", () => {
    const count = (text: string) => plan(text, 'none').parts.map((p) => p.shortMessage.length);
    expect(count('n'.repeat(161))).toEqual([153, 8]);
    expect(count('n'.repeat(306))).toEqual([153, 153]);
    expect(count('n'.repeat(307))).toEqual([153, 153, 1]);
    expect(count('n'.repeat(152) + '{' + 'n'.repeat(10))).toEqual([152, 12]); // ESC and its code stay together
    expect(count(CYRILLIC.repeat(4).slice(0, 71)).map((b) => b / 2)).toEqual([67, 4]);
    const parts = plan(gsm300, 'none').parts;
    expect(parts.every((p) => p.esmClass === 0 && p.tlvs === undefined && p.dataCoding === 0)).toBe(true);
    expect(parts.map((p) => decodeGsm7Unpacked(p.shortMessage)).join('')).toBe(gsm300);
  });

  it('takes a concatenation reference only for a long text whose parts show one', () => {
    let taken = 0;
    const refs = { next: () => ++taken } as unknown as ConcatRefs;
    for (const method of ['none', 'payload'] as const) plan(gsm300, method, refs);
    plan('short', 'udh', refs);
    expect(taken).toBe(0);
    plan(gsm300, 'udh', refs);
    plan(gsm300, 'sar', refs);
    expect(taken).toBe(2);
  });
});

describe('splitMethodFor', () => {
  it("follows the client's split_method, and gives gomsggw's plain parts to a client without settings", () => {
    for (const method of ['udh', 'sar', 'payload', 'none'] as const) {
      expect(splitMethodFor({ splitMethod: method })).toBe(method);
    }
    expect(splitMethodFor(null)).toBe('none');
    expect(plan('x'.repeat(200), null).parts.map((p) => p.esmClass)).toEqual([0, 0]);
  });
});
