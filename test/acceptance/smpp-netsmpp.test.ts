/**
 * Issue 4 acceptance with Net::SMPP (Perl) as the ESME against a real gateway node (embedded:
 * PGlite, memory bus). The bytes on the wire are made here, by hand and independently of the
 * gateway's codecs: packed and unpacked GSM-7, UDH 8- and 16-bit concatenation and SAR TLVs in
 * random order, message_payload, UCS-2 with surrogate pairs, Latin-1; source ownership, bind
 * refusal, query_sm, enquire_link, unbind; deliver_sm codings and receipts as they arrive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeliverSm, NetSmpp, netSmppMissing, sarTlvs, type SmppPdu, TLV } from '../support/net-smpp.js';
import { CMD, cstr, encodePdu } from '../support/pdu-encode.js';
import { bare, SmppGateway, until } from '../support/smpp-gateway.js';

const PBX = '+15550001000';
const OTHER = '+15550002000';
const ESME_RINVSRCADR = 0x0a;
const ESME_RINVPASWD = 0x0e;
const ESME_RINVMSGID = 0x0c;

// ---- GSM 03.38, written out for the test (not the gateway's tables) ----------------------------------

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXT: Record<string, number> = {
  '\f': 0x0a,
  '^': 0x14,
  '{': 0x28,
  '}': 0x29,
  '\\': 0x2f,
  '[': 0x3c,
  '~': 0x3d,
  ']': 0x3e,
  '|': 0x40,
  '€': 0x65,
};

/** One septet per octet (unpacked), escape + extension code for the extension table. */
function gsmSeptets(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    if (ch === '$') out.push(0x02);
    else if (ch in GSM_EXT) out.push(0x1b, GSM_EXT[ch]);
    else {
      const i = GSM_BASIC.indexOf(ch);
      if (i < 0 || ch === '\x1b') throw new Error(`not GSM-7: ${ch}`);
      out.push(i);
    }
  }
  return out;
}

/** 3GPP TS 23.038 §6.1.2.1.1 packing, LSB first. */
function packSeptets(septets: number[]): Buffer {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const s of septets) {
    acc |= s << bits;
    bits += 7;
    while (bits >= 8) {
      out.push(acc & 0xff);
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out.push(acc & 0xff);
  return Buffer.from(out);
}

function gsmDecode(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x1b) {
      const code = bytes[++i];
      out += Object.keys(GSM_EXT).find((k) => GSM_EXT[k] === code) ?? '?';
    } else out += bytes[i] === 0x02 ? '$' : GSM_BASIC[bytes[i]];
  }
  return out;
}

const ucs2 = (text: string): Buffer => Buffer.from(text, 'utf16le').swap16();
const fromUcs2 = (bytes: Buffer): string => Buffer.from(bytes).swap16().toString('utf16le');
const udh8 = (ref: number, total: number, seq: number) => Buffer.from([0x05, 0x00, 0x03, ref, total, seq]);
const udh16 = (ref: number, total: number, seq: number) => Buffer.from([0x06, 0x08, 0x04, ref >> 8, ref & 0xff, total, seq]);

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  // Never the natural order: the point is reassembly out of order.
  return out.every((x, i) => x === items[i]) ? [...out.slice(1), out[0]!] : out;
}

function tlvValue(pdu: SmppPdu, tag: number): Buffer | undefined {
  return pdu.tlvs.find((t) => t.tag === tag)?.value;
}

// ---- which peers are here ---------------------------------------------------------------------------

const missing = netSmppMissing();
const title = (name: string): string => (missing ? `${name} [skipped: ${missing}]` : name);

describe.skipIf(missing)(title('Net::SMPP as an ESME of the gateway'), () => {
  let gw: SmppGateway;
  let esme: NetSmpp;
  const extra: NetSmpp[] = [];

  beforeAll(async () => {
    gw = await SmppGateway.start();
    await gw.addCarrier();
    await gw.legacyClient('perl', 'perlpw', [PBX]);
    await gw.legacyClient('other', 'otherpw', [OTHER]);
    esme = await NetSmpp.connect({ host: '127.0.0.1', port: gw.smppPort, label: 'perl' });
  }, 120_000);

  afterAll(async () => {
    for (const e of [esme, ...extra]) await e?.close();
    await gw?.stop();
  }, 60_000);

  async function connect(label: string): Promise<NetSmpp> {
    const e = await NetSmpp.connect({ host: '127.0.0.1', port: gw.smppPort, label });
    extra.push(e);
    return e;
  }

  let to = 0;
  /** A fresh destination per test, so carrier sends are told apart. */
  const nextTo = () => `1555888${String(++to).padStart(4, '0')}`;
  const submit = (o: Parameters<NetSmpp['submitSm']>[0], e = esme) =>
    e.submitSm({
      sourceAddr: bare(PBX),
      sourceAddrTon: 1,
      sourceAddrNpi: 1,
      destAddrTon: 1,
      destAddrNpi: 1,
      ...o,
    });

  it('refuses a bind with a wrong password (and an unknown system id)', async () => {
    const bad = await connect('bad password');
    const resp = await bad.bind({ mode: 'transceiver', systemId: 'perl', password: 'wrong' });
    expect(resp.command).toBe('bind_transceiver_resp');
    expect(resp.commandStatus).toBe(ESME_RINVPASWD);
    expect(await bad.closed()).toBeTruthy();
    const unknown = await connect('unknown system id');
    // The same answer as a wrong password: nothing tells a guesser which system_ids exist.
    expect((await unknown.bind({ mode: 'transmitter', systemId: 'nobody', password: 'x' })).commandStatus).toBe(ESME_RINVPASWD);
  });

  it('binds as a transceiver', async () => {
    const resp = await esme.bind({ mode: 'transceiver', systemId: 'perl', password: 'perlpw' });
    expect(resp).toMatchObject({ command: 'bind_transceiver_resp', commandStatus: 0 });
  });

  it('answers enquire_link', async () => {
    expect(await esme.enquireLink()).toMatchObject({ command: 'enquire_link_resp', commandStatus: 0 });
  });

  it('takes unpacked GSM-7 with the extension table through to the carrier exactly', async () => {
    const text = 'Unpacked @£$¥ èé [€] {~} ^\\| _ΔΩ';
    const destinationAddr = nextTo();
    const resp = await submit({ destinationAddr, dataCoding: 0, shortMessage: Buffer.from(gsmSeptets(text)) });
    expect(resp).toMatchObject({ command: 'submit_sm_resp', commandStatus: 0 });
    expect(resp.messageId).toBeTruthy();
    const sent = await gw.carrierText(text);
    expect(sent).toMatchObject({ from: PBX, to: `+${destinationAddr}` });
  });

  it('takes packed GSM-7 through to the carrier exactly', async () => {
    const text = 'Packed text: hello world €[x] ÄÖÜ';
    const packed = packSeptets(gsmSeptets(text));
    expect(packed.some((b) => b & 0x80)).toBe(true);
    expect((await submit({ destinationAddr: nextTo(), dataCoding: 0, shortMessage: packed })).commandStatus).toBe(0);
    await gw.carrierText(text);
  });

  it('takes UCS-2 with surrogate pairs (emoji) through to the carrier exactly', async () => {
    const text = 'Emoji 😀👍🏽 and 𝄞 plus кириллица';
    expect((await submit({ destinationAddr: nextTo(), dataCoding: 8, shortMessage: ucs2(text) })).commandStatus).toBe(0);
    await gw.carrierText(text);
  });

  it('takes data_coding 3 (Latin-1) through to the carrier exactly', async () => {
    const text = 'Latin-1: naïve façade, crème brûlée, ¼ ½ ¾ ©®';
    expect((await submit({ destinationAddr: nextTo(), dataCoding: 3, shortMessage: Buffer.from(text, 'latin1') })).commandStatus).toBe(0);
    await gw.carrierText(text);
  });

  it('takes a long text in message_payload', async () => {
    const text = `Payload ${'abcdefghij'.repeat(60)} end`;
    const resp = await submit({
      destinationAddr: nextTo(),
      dataCoding: 0,
      shortMessage: Buffer.alloc(0),
      tlvs: [{ tag: TLV.message_payload, value: Buffer.from(gsmSeptets(text)) }],
    });
    expect(resp.commandStatus).toBe(0);
    await gw.carrierText(text);
  });

  it('reassembles UDH 8-bit concatenated GSM-7 parts sent in random order', async () => {
    const chunks = ['A'.repeat(153), 'B€'.repeat(76), 'the end (8-bit ref)'];
    const ref = Math.floor(Math.random() * 256);
    const destinationAddr = nextTo();
    const order = shuffled([1, 2, 3]);
    const answers = [];
    for (const seq of order) {
      answers.push(
        await submit({
          destinationAddr,
          esmClass: 0x40,
          dataCoding: 0,
          shortMessage: Buffer.concat([udh8(ref, 3, seq), Buffer.from(gsmSeptets(chunks[seq - 1]!))]),
        }),
      );
    }
    expect(answers.map((a) => a.commandStatus)).toEqual([0, 0, 0]);
    expect(new Set(answers.map((a) => a.messageId)).size).toBe(3);
    await gw.carrierText(chunks.join(''));
    expect(gw.carrierSends().filter((s) => s.to === `+${destinationAddr}`)).toHaveLength(1);
  });

  it('reassembles UDH 16-bit concatenated UCS-2 parts in random order, a surrogate pair split across parts', async () => {
    // 66 UTF-16 units per part (140 octets less a 7-octet UDH); part 1 ends on a high surrogate.
    const text = `${'ю'.repeat(65)}😀${'я'.repeat(60)}😀 end`;
    const units = ucs2(text);
    const parts = [units.subarray(0, 132), units.subarray(132, 264), units.subarray(264)];
    expect(parts[0]!.readUInt16BE(130)).toBeGreaterThanOrEqual(0xd800);
    const ref = 0x1234 + Math.floor(Math.random() * 0x1000);
    const destinationAddr = nextTo();
    for (const seq of shuffled([1, 2, 3])) {
      const resp = await submit({
        destinationAddr,
        esmClass: 0x40,
        dataCoding: 8,
        shortMessage: Buffer.concat([udh16(ref, 3, seq), parts[seq - 1]!]),
      });
      expect(resp.commandStatus).toBe(0);
    }
    await gw.carrierText(text);
  });

  it('reassembles parts carrying SAR TLVs in random order', async () => {
    const chunks = ['SAR part one, ', 'SAR part two, ', 'SAR part three.'];
    const ref = 0x4000 + Math.floor(Math.random() * 0x1000);
    const destinationAddr = nextTo();
    for (const seq of shuffled([1, 2, 3])) {
      const resp = await submit({
        destinationAddr,
        dataCoding: 0,
        shortMessage: Buffer.from(gsmSeptets(chunks[seq - 1]!)),
        tlvs: sarTlvs(ref, 3, seq),
      });
      expect(resp.commandStatus).toBe(0);
    }
    await gw.carrierText(chunks.join(''));
  });

  it('answers ESME_RINVSRCADR for a source number the client does not own', async () => {
    const resp = await submit({ sourceAddr: bare(OTHER), destinationAddr: nextTo(), shortMessage: Buffer.from('not mine') });
    expect(resp).toMatchObject({ command: 'submit_sm_resp', commandStatus: ESME_RINVSRCADR });
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.carrierSends().some((s) => s.text === 'not mine')).toBe(false);
  });

  it('answers query_sm from the records with the id submit_sm_resp returned', async () => {
    const resp = await submit({ destinationAddr: nextTo(), shortMessage: Buffer.from('query me') });
    await gw.carrierText('query me');
    let answer: SmppPdu | undefined;
    await until(
      async () => {
        answer = await esme.querySm({ messageId: resp.messageId!, sourceAddr: bare(PBX), sourceAddrTon: 1, sourceAddrNpi: 1 });
        return answer.commandStatus === 0 && [1, 2, 6].includes(Number(answer.fields.message_state));
      },
      15_000,
      () => `query_sm to report the message en route, delivered or accepted; last answer ${JSON.stringify(answer)}`,
    );
    expect(answer!.command).toBe('query_sm_resp');
    expect(answer!.messageId).toBe(resp.messageId);
    const unknown = await esme.querySm({ messageId: 'no-such-id', sourceAddr: bare(PBX) });
    expect(unknown.commandStatus).not.toBe(0);
  });

  it('answers ESME_RINVMSGID (not ESME_RSYSERR) to query_sm for an id with a non-ASCII octet', async () => {
    // Found by the fuzz test: the smpp library reads C-strings as Node 'ascii', which turns the
    // octet 0x80 into U+0000; the record lookup then fails in PostgreSQL ("invalid byte sequence
    // for encoding UTF8: 0x00") and the answer was ESME_RSYSERR.
    const seq = 0x7e000001;
    await esme.sendRaw(
      encodePdu(CMD.query_sm, Buffer.concat([cstr(Buffer.from([0x61, 0x80, 0x62])), Buffer.from([1, 1]), cstr(bare(PBX))]), seq),
    );
    const resp = await esme.waitForPdu((p) => p.sequenceNumber === seq, 10_000);
    expect(resp).toMatchObject({ command: 'query_sm_resp', commandStatus: ESME_RINVMSGID });
  });

  it('delivers an inbound GSM-7 message as deliver_sm with data_coding 0 and esm_class 0', async () => {
    await gw.inbound({ from: '+15557770000', to: PBX, text: 'Inbound hello €uro [1]' });
    const d = await esme.waitForDeliverSm((p) => bare(p.sourceAddr) === '15557770000', 15_000);
    expect(bare(d.destinationAddr)).toBe(bare(PBX));
    expect(d.esmClass).toBe(0);
    expect(d.dataCoding).toBe(0);
    expect(gsmDecode(d.shortMessage)).toBe('Inbound hello €uro [1]');
  });

  it('delivers an inbound emoji message as deliver_sm with data_coding 8', async () => {
    await gw.inbound({ from: '+15557770001', to: PBX, text: 'Reply 😀 ok' });
    const d = await esme.waitForDeliverSm((p) => bare(p.sourceAddr) === '15557770001', 15_000);
    expect(d.dataCoding).toBe(8);
    expect(d.esmClass & 0x04).toBe(0);
    expect(fromUcs2(d.shortMessage)).toBe('Reply 😀 ok');
  });

  it('delivers a long inbound message as UDH parts (esm_class 0x40) that join to the text', async () => {
    const text = `Long inbound ${'0123456789'.repeat(28)}`; // 293 characters: two parts of at most 153
    await gw.inbound({ from: '+15557770002', to: PBX, text });
    const parts = await esme.waitForDeliverSms(2, (p) => bare(p.sourceAddr) === '15557770002', 15_000);
    expect(parts.every((p) => (p.esmClass & 0x40) !== 0 && p.dataCoding === 0)).toBe(true);
    const udhLen = (p: DeliverSm) => p.shortMessage[0]! + 1;
    const seqOf = (p: DeliverSm) => p.shortMessage[udhLen(p) - 1]!;
    expect(parts.map((p) => p.shortMessage[udhLen(p) - 2])).toEqual([2, 2]); // total parts in the UDH
    const joined = [...parts]
      .sort((a, b) => seqOf(a) - seqOf(b))
      .map((p) => gsmDecode(p.shortMessage.subarray(udhLen(p))))
      .join('');
    expect(joined).toBe(text);
  });

  it('sends a receipt (esm_class 0x04, receipted_message_id, message_state) when the carrier reports delivery', async () => {
    const destinationAddr = nextTo();
    const resp = await submit({ destinationAddr, registeredDelivery: 1, shortMessage: Buffer.from('receipt please') });
    expect(resp.commandStatus).toBe(0);
    const sent = await gw.carrierText('receipt please');
    await gw.statusCallback({ carrierMsgId: sent.request.carrierMsgId!, from: PBX, to: `+${destinationAddr}`, status: 'delivered' });
    const d = await esme.waitForDeliverSm((p) => (p.esmClass & 0x04) !== 0 && p.shortMessage.includes(`id:${resp.messageId} `), 15_000);
    const text = d.shortMessage.toString('latin1');
    expect(text).toMatch(/^id:\S+ sub:\d{3} dlvrd:\d{3} submit date:\d{10} done date:\d{10} stat:DELIVRD err:\d{3} text:/);
    expect(tlvValue(d, TLV.receipted_message_id)?.toString('latin1').replace(/\0$/, '')).toBe(resp.messageId);
    expect(tlvValue(d, TLV.message_state)).toEqual(Buffer.from([2])); // DELIVERED
  });

  it('sends an UNDELIV receipt with message_state 5 when the carrier reports failure', async () => {
    const destinationAddr = nextTo();
    const resp = await submit({ destinationAddr, registeredDelivery: 1, shortMessage: Buffer.from('this fails') });
    const sent = await gw.carrierText('this fails');
    await gw.statusCallback({ carrierMsgId: sent.request.carrierMsgId!, from: PBX, to: `+${destinationAddr}`, status: 'delivery_failed' });
    const d = await esme.waitForDeliverSm((p) => (p.esmClass & 0x04) !== 0 && p.shortMessage.includes(`id:${resp.messageId} `), 15_000);
    expect(d.shortMessage.toString('latin1')).toContain('stat:UNDELIV');
    expect(tlvValue(d, TLV.message_state)).toEqual(Buffer.from([5])); // UNDELIVERABLE
    expect(tlvValue(d, TLV.receipted_message_id)?.toString('latin1').replace(/\0$/, '')).toBe(resp.messageId);
  });

  it('answers unbind with unbind_resp and closes the connection', async () => {
    expect(await esme.unbind()).toMatchObject({ command: 'unbind_resp', commandStatus: 0 });
    expect(await esme.closed()).toBeTruthy();
    await until(async () => (await gw.binds('perl')).length === 0, 10_000, 'the bind to leave /stats');
  });
});
