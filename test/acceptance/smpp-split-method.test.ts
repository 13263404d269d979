/**
 * A long inbound message reaches a bound ESME (Net::SMPP, Perl) as its client's split_method
 * says, against a real gateway node (embedded: PGlite, memory bus): 'none' as gomsggw's plain
 * parts (no UDHI, no TLVs: what a Zultys MX takes), 'sar' as parts with SAR TLVs, 'payload' as
 * one deliver_sm. The bytes are read here, independently of the gateway's codecs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeliverSm, NetSmpp, netSmppMissing, TLV } from '../support/net-smpp.js';
import { bare, SmppGateway } from '../support/smpp-gateway.js';

const UDHI = 0x40;
const SAR_TAGS: number[] = [TLV.sar_msg_ref_num, TLV.sar_total_segments, TLV.sar_segment_seqnum];
/** Letters, digits and spaces sit at their ASCII codes in GSM 03.38, so unpacked GSM-7 reads as ASCII. */
const GSM_TEXT = Array.from({ length: 300 }, (_, i) => 'abcdefghij 0123456789'[i % 21]).join('');
const UCS2_TEXT = 'Привет, как дела? '.repeat(6).slice(0, 100);
const fromUcs2 = (bytes: Buffer): string => Buffer.from(bytes).swap16().toString('utf16le');

const missing = netSmppMissing();
const title = (name: string): string => (missing ? `${name} [skipped: ${missing}]` : name);

const PBXS = {
  none: '+15550003000',
  sar: '+15550003001',
  payload: '+15550003002',
} as const;
type Method = keyof typeof PBXS;

describe.skipIf(missing)(title('long deliver_sm to Net::SMPP per client split_method'), () => {
  let gw: SmppGateway;
  const esmes = new Map<Method, NetSmpp>();
  let from = 0;

  beforeAll(async () => {
    gw = await SmppGateway.start();
    await gw.addCarrier();
    for (const method of Object.keys(PBXS) as Method[]) {
      await gw.legacyClient(`pbx-${method}`, `pw-${method}`, [PBXS[method]], { split_method: method });
      const esme = await NetSmpp.connect({ host: '127.0.0.1', port: gw.smppPort, label: method });
      esmes.set(method, esme);
      expect((await esme.bind({ systemId: `pbx-${method}`, password: `pw-${method}` })).commandStatus).toBe(0);
    }
  }, 120_000);

  afterAll(async () => {
    for (const e of esmes.values()) await e.close();
    await gw?.stop();
  }, 60_000);

  /** Sends `text` from a fresh number to the PBX of `method`; resolves with the `count` deliver_sm it got, in arrival order. */
  async function deliver(method: Method, text: string, count: number): Promise<DeliverSm[]> {
    const sender = `+1555777${String(++from).padStart(4, '0')}`;
    await gw.inbound({ from: sender, to: PBXS[method], text });
    const parts = await esmes.get(method)!.waitForDeliverSms(count, (p) => bare(p.sourceAddr) === bare(sender), 15_000);
    expect(parts.every((p) => bare(p.destinationAddr) === bare(PBXS[method]))).toBe(true);
    return parts;
  }

  const tlv = (p: DeliverSm, tag: number): Buffer | undefined => p.tlvs.find((t) => t.tag === tag)?.value;

  it("'none': GSM-7 as plain parts of 153 + 147 septets, no UDHI, no TLVs, joined in arrival order", async () => {
    const parts = await deliver('none', GSM_TEXT, 2);
    for (const p of parts) {
      expect(p.esmClass & UDHI).toBe(0);
      expect(p.dataCoding).toBe(0);
      expect(p.tlvs).toEqual([]);
    }
    expect(parts.map((p) => p.shortMessage.length)).toEqual([153, 147]);
    expect(parts.map((p) => p.shortMessage.toString('latin1')).join('')).toBe(GSM_TEXT);
  });

  it("'none': UCS-2 as plain parts of 67 + 33 units", async () => {
    const parts = await deliver('none', UCS2_TEXT, 2);
    expect(parts.every((p) => (p.esmClass & UDHI) === 0 && p.dataCoding === 8 && p.tlvs.length === 0)).toBe(true);
    expect(parts.map((p) => p.shortMessage.length / 2)).toEqual([67, 33]);
    expect(parts.map((p) => fromUcs2(p.shortMessage)).join('')).toBe(UCS2_TEXT);
  });

  it("'sar': GSM-7 parts of 153 + 147 septets with sar_msg_ref_num, sar_total_segments, sar_segment_seqnum and no UDHI", async () => {
    const parts = await deliver('sar', GSM_TEXT, 2);
    for (const p of parts) {
      expect(p.esmClass & UDHI).toBe(0);
      expect(p.dataCoding).toBe(0);
      expect(p.tlvs.map((t) => t.tag).sort()).toEqual([...SAR_TAGS].sort());
      expect(tlv(p, TLV.sar_msg_ref_num)).toHaveLength(2);
      expect(tlv(p, TLV.sar_total_segments)).toEqual(Buffer.from([2]));
    }
    expect(tlv(parts[0]!, TLV.sar_msg_ref_num)).toEqual(tlv(parts[1]!, TLV.sar_msg_ref_num));
    const bySeq = [...parts].sort((a, b) => tlv(a, TLV.sar_segment_seqnum)![0]! - tlv(b, TLV.sar_segment_seqnum)![0]!);
    expect(bySeq.map((p) => tlv(p, TLV.sar_segment_seqnum)![0])).toEqual([1, 2]);
    expect(bySeq.map((p) => p.shortMessage.length)).toEqual([153, 147]);
    expect(bySeq.map((p) => p.shortMessage.toString('latin1')).join('')).toBe(GSM_TEXT);
  });

  it("'sar': UCS-2 parts of 67 + 33 units", async () => {
    const parts = await deliver('sar', UCS2_TEXT, 2);
    expect(parts.every((p) => (p.esmClass & UDHI) === 0 && p.dataCoding === 8)).toBe(true);
    expect(parts.map((p) => tlv(p, TLV.sar_segment_seqnum)![0])).toEqual([1, 2]);
    expect(parts.map((p) => p.shortMessage.length / 2)).toEqual([67, 33]);
    expect(parts.map((p) => fromUcs2(p.shortMessage)).join('')).toBe(UCS2_TEXT);
  });

  it("'payload': one deliver_sm, empty short_message, the text in message_payload", async () => {
    const [p] = await deliver('payload', GSM_TEXT, 1);
    expect(p!.esmClass & UDHI).toBe(0);
    expect(p!.shortMessage).toHaveLength(0);
    expect(tlv(p!, TLV.message_payload)?.toString('latin1')).toBe(GSM_TEXT);
    await new Promise((r) => setTimeout(r, 500));
    expect(
      esmes
        .get('payload')!
        .deliveries()
        .filter((d) => d.sourceAddr === p!.sourceAddr),
    ).toHaveLength(1);
  });
});
