/**
 * Self-test of the independent-peer harness (Kannel, Net::SMPP, the PDU fuzzer) against a bare
 * SMSC made with the npm `smpp` package, so that the gateway's acceptance tests can trust it.
 * Kannel and Net::SMPP come from Debian (scripts/test-deps.sh installs them); without them the
 * suites skip and say why, except under CI, where they must be there.
 */
import { createRequire } from 'node:module';
import { connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inbox } from '../support/inbox.js';
import { CODING, DLR, Kannel, kannelMissing } from '../support/kannel.js';
import { NetSmpp, netSmppMissing, sarTlvs, TLV } from '../support/net-smpp.js';
import { bindBody, CMD, encodePdu } from '../support/pdu-encode.js';
import { fuzzSmpp, PduFuzzer } from '../support/pdu-fuzz.js';

// ---- a bare SMSC on the npm smpp package (no types ship with it) ------------------------------------

interface BarePdu {
  command: string;
  command_status: number;
  sequence_number: number;
  system_id?: string;
  password?: string;
  source_addr?: string;
  destination_addr?: string;
  esm_class?: number;
  data_coding?: number;
  registered_delivery?: number;
  short_message?: { udh?: Buffer[]; message: string | Buffer };
  message_payload?: { message: string | Buffer };
  sar_msg_ref_num?: number;
  sar_total_segments?: number;
  sar_segment_seqnum?: number;
  isResponse(): boolean;
  response(fields?: Record<string, unknown>): unknown;
}

interface BareSession {
  socket: Socket;
  on(event: string, listener: (pdu: BarePdu) => void): void;
  send(pdu: unknown): boolean;
  deliver_sm(fields: Record<string, unknown>, onResponse: (pdu: BarePdu) => void): boolean;
}

interface SmppLib {
  createServer(listener: (session: BareSession) => void): Server;
}

const smpp = createRequire(import.meta.url)('smpp') as SmppLib;

interface Submit {
  systemId: string;
  pdu: BarePdu;
  messageId: string;
}

/** PDUs that take no response (the npm lib throws when asked for one). */
const NO_RESPONSE = new Set(['generic_nack', 'outbind', 'alert_notification']);

/** Accepts any bind, answers submit_sm with a non-numeric id, delivers MO and receipts on demand. */
class BareSmsc {
  readonly binds = new Inbox<{ systemId: string; command: string; password: string }>('bare SMSC binds', (b) => JSON.stringify(b));
  readonly submits = new Inbox<Submit>('bare SMSC submit_sm', (s) => `${s.messageId} ${JSON.stringify(s.pdu.short_message)}`);
  /** Sessions that ended in a parse error (the npm lib cannot go on after one). */
  parseErrors = 0;
  private readonly sessions = new Map<string, BareSession>();
  private readonly connections = new Set<BareSession>();
  private readonly server: Server;
  private ids = 0;

  constructor() {
    this.server = smpp.createServer((s) => this.accept(s));
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** Sends a deliver_sm on the session bound as `systemId`; resolves with its deliver_sm_resp. */
  deliver(systemId: string, fields: Record<string, unknown>, timeoutMs = 10_000): Promise<BarePdu> {
    const session = this.sessions.get(systemId);
    if (!session) throw new Error(`no session bound as ${systemId}`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no deliver_sm_resp from ${systemId}`)), timeoutMs);
      session.deliver_sm(fields, (resp) => {
        clearTimeout(timer);
        resolve(resp);
      });
    });
  }

  async stop(): Promise<void> {
    // Every connection, bound or not: the npm lib never reads past a command_length of 1–4, so
    // such a connection stays open after the client has gone (see docs/testing-peers.md).
    for (const s of this.connections) s.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(s: BareSession): void {
    let systemId = '';
    this.connections.add(s);
    s.socket.on('close', () => this.connections.delete(s));
    s.on('error', () => {
      this.parseErrors++;
      s.socket.destroy();
    });
    s.on('pdu', (pdu) => {
      if (pdu.isResponse()) return;
      if (pdu.command.startsWith('bind_')) {
        systemId = pdu.system_id ?? '';
        this.sessions.set(systemId, s);
        this.binds.push({ systemId, command: pdu.command, password: pdu.password ?? '' });
        s.send(pdu.response({ system_id: 'bare' }));
      } else if (pdu.command === 'submit_sm') {
        const messageId = `bare-${(++this.ids).toString(16)}`;
        s.send(pdu.response({ message_id: messageId }));
        this.submits.push({ systemId, pdu, messageId });
      } else if (pdu.command === 'query_sm') {
        s.send(pdu.response({ message_id: 'q', final_date: '', message_state: 2, error_code: 0 }));
      } else if (!NO_RESPONSE.has(pdu.command)) {
        // enquire_link, unbind, ... and generic_nack (ESME_RINVCMDID) for unknown command ids.
        s.send(pdu.response());
      }
    });
  }
}

/** The standard SMPP 3.4 Appendix B receipt text. */
function receiptText(id: string, stat: string, text: string): string {
  return `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:2611280000 done date:2611280001 stat:${stat} err:000 text:${text.slice(0, 20)}`;
}

function messageOf(p: BarePdu): string {
  const m = p.short_message?.message;
  return Buffer.isBuffer(m) ? m.toString('latin1') : (m ?? '');
}

// ---- which peers are here ---------------------------------------------------------------------------

// Under CI the peers must be installed (scripts/test-deps.sh): never skip there.
const missing = kannelMissing() ?? netSmppMissing();
const title = (name: string): string => (missing ? `${name} [skipped: ${missing}]` : name);

// ---- Kannel -----------------------------------------------------------------------------------------

describe.skipIf(missing)(title('Kannel as an ESME against a bare SMSC'), () => {
  const smsc = new BareSmsc();
  let kannel: Kannel;

  beforeAll(async () => {
    const port = await smsc.start();
    kannel = await Kannel.start({ smppHost: '127.0.0.1', smppPort: port, systemId: 'kannel', password: 'kpw' });
    await kannel.bound();
  });

  afterAll(async () => {
    await kannel?.stop();
    await smsc.stop();
  });

  it('binds as a transceiver with its system_id and password', async () => {
    const bind = await smsc.binds.wait((b) => b.systemId === 'kannel', 5_000);
    expect(bind).toEqual({ systemId: 'kannel', command: 'bind_transceiver', password: 'kpw' });
  });

  it('submits a short GSM text as one submit_sm with data_coding 0', async () => {
    const text = 'Hello @£€_{} from Kannel';
    await kannel.send({ from: '15550001111', to: '+15550002222', text });
    const { pdu } = await smsc.submits.wait((s) => messageOf(s.pdu) === text, 10_000);
    expect(pdu).toMatchObject({ source_addr: '15550001111', destination_addr: '15550002222', data_coding: 0 });
    expect(pdu.esm_class! & 0x40).toBe(0);
  });

  it('submits UCS2 with an emoji as data_coding 8, surrogate pair intact', async () => {
    const text = 'Привет 😀 ✓';
    await kannel.send({ from: 'ACME', to: '15550002222', text, coding: CODING.UCS2 });
    const { pdu } = await smsc.submits.wait((s) => messageOf(s.pdu) === text, 10_000);
    expect(pdu).toMatchObject({ source_addr: 'ACME', data_coding: 8 });
  });

  it('splits a long text into UDH parts that reassemble to the text', async () => {
    const text = Array.from({ length: 300 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    await kannel.send({ from: '12345', to: '15550003333', text });
    const parts = await smsc.submits.waitCount(2, (s) => s.pdu.destination_addr === '15550003333', 10_000);
    const udhs = parts.map((p) => p.pdu.short_message!.udh![0]);
    expect(parts.every((p) => (p.pdu.esm_class! & 0x40) !== 0)).toBe(true);
    // IEI 00 (8-bit reference), same reference, 2 parts, numbered 1 and 2.
    expect(udhs.map((u) => [u[0], u[3]])).toEqual([
      [0, 2],
      [0, 2],
    ]);
    expect(udhs[0][2]).toBe(udhs[1][2]);
    const ordered = [...parts].sort((a, b) => a.pdu.short_message!.udh![0][4] - b.pdu.short_message!.udh![0][4]);
    expect(ordered.map((p) => messageOf(p.pdu)).join('')).toBe(text);
  });

  it('passes MO deliver_sm (GSM and UCS2) to the get-url', async () => {
    const gsm = await smsc.deliver('kannel', {
      source_addr: '15559990000',
      destination_addr: '4242',
      data_coding: 0,
      short_message: 'MO hello @£_',
    });
    const ucs2 = await smsc.deliver('kannel', {
      source_addr: '15559990001',
      destination_addr: '4242',
      data_coding: 8,
      short_message: 'Юникод 😀',
    });
    expect([gsm.command_status, ucs2.command_status]).toEqual([0, 0]);
    const mo = await kannel.waitForMo((m) => m.from === '15559990000');
    expect(mo).toMatchObject({ to: '4242', text: 'MO hello @£_', coding: CODING.GSM, smscId: 'gw' });
    expect((await kannel.waitForMo((m) => m.from === '15559990001')).text).toBe('Юникод 😀');
  });

  it('joins a long MO sent as UDH parts (out of order) into one get-url call', async () => {
    const [first, second] = ['a'.repeat(153), 'the end'];
    const part = (n: number, text: string): Record<string, unknown> => ({
      source_addr: '15559990002',
      destination_addr: '4242',
      data_coding: 0,
      short_message: { udh: Buffer.from([5, 0, 3, 0x7a, 2, n]), message: text },
    });
    expect((await smsc.deliver('kannel', part(2, second))).command_status).toBe(0);
    expect((await smsc.deliver('kannel', part(1, first))).command_status).toBe(0);
    const mo = await kannel.waitForMo((m) => m.from === '15559990002');
    expect(mo.text).toBe(first + second);
    expect(kannel.mos().filter((m) => m.from === '15559990002')).toHaveLength(1);
  });

  it('reports the SMSC ack and a receipt at the dlr-url under the id the SMSC returned', async () => {
    const { tag } = await kannel.send({ from: '15550001111', to: '15550004444', text: 'track me', dlrMask: DLR.ALL });
    const submit = await smsc.submits.wait((s) => s.pdu.destination_addr === '15550004444', 10_000);
    expect(submit.pdu.registered_delivery! & 0x01).toBe(1);
    const ack = await kannel.waitForDlr((d) => d.tag === tag && d.status === DLR.SMSC_ACK);
    expect(ack.smscMessageId).toBe(submit.messageId);

    const resp = await smsc.deliver('kannel', {
      source_addr: '15550004444',
      destination_addr: '15550001111',
      esm_class: 0x04,
      short_message: receiptText(submit.messageId, 'DELIVRD', 'track me'),
      receipted_message_id: submit.messageId,
      message_state: 2,
    });
    expect(resp.command_status).toBe(0);
    const delivered = await kannel.waitForDlr((d) => d.tag === tag && d.status === DLR.DELIVERED);
    expect(delivered.smscMessageId).toBe(submit.messageId);
    expect(delivered.reply).toContain(`id:${submit.messageId} `);
    expect(delivered.reply).toContain('stat:DELIVRD');
  });
});

// ---- Net::SMPP --------------------------------------------------------------------------------------

describe.skipIf(missing)(title('Net::SMPP as an ESME against a bare SMSC'), () => {
  const smsc = new BareSmsc();
  let esme: NetSmpp;

  beforeAll(async () => {
    const port = await smsc.start();
    esme = await NetSmpp.connect({ host: '127.0.0.1', port, label: 'perl' });
  });

  afterAll(async () => {
    await esme?.close();
    await smsc.stop();
  });

  it('binds as a transceiver', async () => {
    const resp = await esme.bind({ mode: 'transceiver', systemId: 'perl', password: 'ppw' });
    expect(resp).toMatchObject({ command: 'bind_transceiver_resp', commandStatus: 0, fields: { system_id: 'bare' } });
    expect(await smsc.binds.wait((b) => b.systemId === 'perl', 5_000)).toMatchObject({ command: 'bind_transceiver', password: 'ppw' });
  });

  it('submits raw short_message bytes (UDH + binary) and gets the SMSC message id', async () => {
    const raw = Buffer.from('0500034202010001ff80fe', 'hex');
    const resp = await esme.submitSm({
      sourceAddr: 'PERL',
      sourceAddrTon: 5,
      destinationAddr: '15550005555',
      destAddrTon: 1,
      destAddrNpi: 1,
      esmClass: 0x40,
      dataCoding: 4,
      registeredDelivery: 1,
      shortMessage: raw,
    });
    const submit = await smsc.submits.wait((s) => s.pdu.destination_addr === '15550005555', 5_000);
    expect(resp).toMatchObject({ command: 'submit_sm_resp', commandStatus: 0, messageId: submit.messageId });
    const sm = submit.pdu.short_message!;
    expect(Buffer.concat([Buffer.from([5]), ...sm.udh!, sm.message as Buffer])).toEqual(raw);
    expect(submit.pdu).toMatchObject({ esm_class: 0x40, data_coding: 4, registered_delivery: 1, source_addr: 'PERL' });
  });

  it('sends TLVs as given (message_payload, sar_*)', async () => {
    const resp = await esme.submitSm({
      destinationAddr: '15550006666',
      dataCoding: 0,
      tlvs: [{ tag: TLV.message_payload, value: Buffer.from('payload text') }, ...sarTlvs(0x1234, 3, 2)],
    });
    expect(resp.commandStatus).toBe(0);
    const { pdu } = await smsc.submits.wait((s) => s.pdu.destination_addr === '15550006666', 5_000);
    expect(pdu.message_payload?.message).toBe('payload text');
    expect([pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum]).toEqual([0x1234, 3, 2]);
  });

  it('receives deliver_sm with raw bytes and TLVs, and answers deliver_sm_resp', async () => {
    const resp = await smsc.deliver('perl', {
      source_addr: '15557770000',
      destination_addr: 'PERL',
      esm_class: 0x04,
      data_coding: 0,
      short_message: receiptText('bare-1', 'DELIVRD', 'hi'),
      receipted_message_id: 'bare-1',
      message_state: 2,
    });
    expect(resp.command_status).toBe(0);
    const d = await esme.waitForDeliverSm((p) => p.sourceAddr === '15557770000');
    expect(d).toMatchObject({ esmClass: 0x04, dataCoding: 0, destinationAddr: 'PERL' });
    expect(d.shortMessage.toString('latin1')).toBe(receiptText('bare-1', 'DELIVRD', 'hi'));
    expect(d.tlvs).toContainEqual({ tag: TLV.receipted_message_id, value: Buffer.from('bare-1\0') });
    expect(d.tlvs).toContainEqual({ tag: TLV.message_state, value: Buffer.from([2]) });
  });

  it('answers enquire_link, query_sm and unbind', async () => {
    expect((await esme.enquireLink()).command).toBe('enquire_link_resp');
    expect(await esme.querySm({ messageId: 'q' })).toMatchObject({
      command: 'query_sm_resp',
      commandStatus: 0,
      fields: { message_state: 2 },
    });
    expect((await esme.unbind()).command).toBe('unbind_resp');
  });
});

// ---- PDU fuzzer -------------------------------------------------------------------------------------

describe('SMPP PDU fuzzer', () => {
  it('generates the same PDUs from the same seed and others from another', () => {
    const take = (seed: number): string[] => {
      const f = new PduFuzzer(seed);
      return Array.from({ length: 300 }, () => f.next().bytes.toString('hex'));
    };
    expect(take(7)).toEqual(take(7));
    expect(take(8)).not.toEqual(take(7));
  });

  it('drives 2,000 PDUs over 4 connections through a server that drops bad framing', async () => {
    const smsc = new BareSmsc();
    const port = await smsc.start();
    try {
      const result = await fuzzSmpp({ host: '127.0.0.1', port, count: 2_000, seed: 20261128, connections: 4, timeoutMs: 50_000 });
      expect(result.aborted).toBeUndefined();
      expect(result.sent).toBe(2_000);
      expect(result.probes.unanswered).toBe(0);
      expect(result.probes.answered).toBeGreaterThan(100);
      expect(result.responses.generic_nack).toBeGreaterThan(0);
      expect(result.responses.submit_sm_resp).toBeGreaterThan(0);
      expect(result.connections.closedByServer).toBeGreaterThan(0);
      expect(result.connections.connectFailures).toBe(0);
      expect(result.protocolErrors).toBe(0);

      // The server still binds a well-formed client afterwards.
      const sock = connect(port, '127.0.0.1');
      const reply = await new Promise<Buffer>((resolve, reject) => {
        sock.once('error', reject);
        sock.once('data', resolve);
        sock.write(encodePdu(CMD.bind_transceiver, bindBody({ systemId: 'after', password: 'fuzz' }), 1));
      });
      sock.destroy();
      expect(reply.readUInt32BE(4)).toBe((CMD.bind_transceiver | 0x80000000) >>> 0);
      expect(reply.readUInt32BE(8)).toBe(0);
    } finally {
      await smsc.stop();
    }
  });
});
