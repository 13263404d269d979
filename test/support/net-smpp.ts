/**
 * Net::SMPP (Perl, Debian libnet-smpp-perl) as an independent SMPP ESME for acceptance tests.
 * One NetSmpp is one TCP connection, run by test/support/net-smpp-client.pl in a child process
 * and driven over JSON lines.
 *
 *   const esme = await NetSmpp.connect({ host, port });
 *   expect((await esme.bind({ mode: 'transceiver', systemId: 'u', password: 'p' })).commandStatus).toBe(0);
 *   const resp = await esme.submitSm({ destinationAddr: '15550002', shortMessage: packedGsm7, dataCoding: 0 });
 *   const mo = await esme.waitForDeliverSm((p) => p.esmClass === 0);   // answered deliver_sm_resp 0
 *   await esme.setAutoRespond(true, 0, 300);   // a slow ESME: each answer leaves 300 ms after its deliver_sm
 *   esme.unansweredCounts();                   // deliver_sm open at once, after each arrival or answer
 *   await esme.unbind();
 *   await esme.close();
 *
 * Byte fields (short_message, TLV values) are Buffers, so tests can send raw packed GSM-7, UDH or
 * binary parts exactly as a PBX would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Inbox, type Predicate } from './inbox.js';
import type { BindFields, SubmitSmFields } from './pdu-encode.js';
import { findBinary, MissingBinaryError, onEmergencyExit } from './process.js';

/**
 * Why a Net::SMPP test skips here (said on stderr), or undefined when perl has Net::SMPP. Never
 * skips under CI, where the peers must be installed (scripts/test-deps.sh).
 */
export function netSmppMissing(): string | undefined {
  if (process.env.CI || spawnSync('perl', ['-MNet::SMPP', '-e', '1']).status === 0) return undefined;
  const reason = 'perl with Net::SMPP is not installed';
  process.stderr.write(`[skip] ${reason}; run scripts/test-deps.sh as root to install it\n`);
  return reason;
}

const SCRIPT = fileURLToPath(new URL('./net-smpp-client.pl', import.meta.url));
/** Generous: two shared cores, and a gateway may hold a response until its bus acks. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** A TLV as it goes on the wire: tag and raw value bytes. */
export interface Tlv {
  tag: number;
  value: Buffer;
}

/** The TLV tags tests use most (SMPP 3.4 §5.3.2). */
export const TLV = {
  receipted_message_id: 0x001e,
  sar_msg_ref_num: 0x020c,
  sar_total_segments: 0x020e,
  sar_segment_seqnum: 0x020f,
  message_payload: 0x0424,
  message_state: 0x0427,
  network_error_code: 0x0423,
} as const;

/** SAR TLVs for one part of a concatenated message (16-bit reference). */
export function sarTlvs(ref: number, total: number, seq: number): Tlv[] {
  const u16 = Buffer.alloc(2);
  u16.writeUInt16BE(ref);
  return [
    { tag: TLV.sar_msg_ref_num, value: u16 },
    { tag: TLV.sar_total_segments, value: Buffer.from([total]) },
    { tag: TLV.sar_segment_seqnum, value: Buffer.from([seq]) },
  ];
}

/** One PDU, request or response, as Net::SMPP decoded it. */
export interface SmppPdu {
  commandId: number;
  /** Net::SMPP's name: submit_sm_resp, deliver_sm, generic_nack, ... */
  command: string;
  commandStatus: number;
  sequenceNumber: number;
  /** Mandatory fields by their SMPP names (message_id, source_addr, esm_class, data_coding, ...). */
  fields: Record<string, string | number>;
  shortMessage: Buffer;
  /** The whole body after the header. */
  body: Buffer;
  tlvs: Tlv[];
  /** message_id for submit_sm_resp and query_sm_resp. */
  messageId?: string;
}

/** A deliver_sm (MO or receipt) with its common fields lifted out. */
export interface DeliverSm extends SmppPdu {
  sourceAddr: string;
  destinationAddr: string;
  esmClass: number;
  dataCoding: number;
}

/** A bind's fields (interface_version 0x34 by default, or 0x33) and which bind it is. */
export interface BindOptions extends BindFields {
  mode?: 'transceiver' | 'transmitter' | 'receiver';
}

/** submit_sm's mandatory fields (camelCase SMPP names) with raw short_message bytes, plus TLVs. */
export interface SubmitSmOptions extends Omit<SubmitSmFields, 'smLength' | 'tlvs'> {
  tlvs?: Tlv[];
}

export interface QuerySmOptions {
  messageId: string;
  sourceAddr?: string;
  sourceAddrTon?: number;
  sourceAddrNpi?: number;
}

interface WirePdu {
  command_id: number;
  command: string;
  command_status: number;
  sequence_number: number;
  body_hex: string;
  short_message_hex?: string;
  tlvs: Array<{ tag: number; hex: string }>;
  [field: string]: unknown;
}

type WireLine =
  | { id: number; ok: true; pdu?: WirePdu }
  | { id: number; ok: false; error: string }
  | { event: 'connected' }
  | { event: 'closed'; reason: string }
  | { event: 'pdu'; pdu: WirePdu }
  | { event: 'answered'; command: string; sequence_number: number }
  | { event: 'error'; error: string };

interface Pending {
  resolve: (pdu: SmppPdu | undefined) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
}

export class NetSmpp {
  private readonly pending = new Map<number, Pending>();
  private readonly unsolicited: Inbox<SmppPdu>;
  private nextId = 0;
  private stderr = '';
  private closeReason: string | undefined;
  private readonly closedPromise: Promise<string>;
  private readonly removeEmergencyHook: () => void;
  private unanswered = 0;
  private readonly unansweredLog: number[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly label: string,
  ) {
    this.unsolicited = new Inbox(`Net::SMPP ${label} PDUs from the server`, describePdu, async () => this.diagnostics());
    this.removeEmergencyHook = onEmergencyExit(() => child.kill('SIGKILL'));
    this.closedPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.removeEmergencyHook();
        this.closeReason ??= `client exited (${signal ?? code})`;
        this.failPending(new Error(`Net::SMPP ${label}: connection closed: ${this.closeReason}`));
        resolve(this.closeReason);
      });
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8_000);
    });
  }

  /**
   * Opens a TCP connection to an SMSC (nothing is bound yet). Rejects with MissingBinaryError
   * when perl or Net::SMPP is missing, and with the client's reason when the connect fails.
   */
  static async connect(opts: { host: string; port: number; label?: string }): Promise<NetSmpp> {
    const perl = findBinary('perl');
    if (!perl) throw new MissingBinaryError('perl', 'needed for Net::SMPP');
    const probe = spawn(perl, ['-MNet::SMPP', '-e', '1'], { stdio: 'ignore' });
    const probeCode = await new Promise<number | null>((resolve) => probe.once('exit', resolve));
    if (probeCode !== 0) throw new MissingBinaryError('Net::SMPP', 'package libnet-smpp-perl');

    const child = spawn(perl, [SCRIPT, opts.host, String(opts.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const client = new NetSmpp(child, opts.label ?? `${opts.host}:${opts.port}`);
    await client.started();
    return client;
  }

  /** Sends a bind of the given mode; resolves with the bind_*_resp (or generic_nack). */
  bind(o: BindOptions, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SmppPdu> {
    return this.request(
      'bind',
      {
        mode: o.mode ?? 'transceiver',
        system_id: o.systemId,
        password: o.password,
        system_type: o.systemType,
        interface_version: o.interfaceVersion,
        addr_ton: o.addrTon,
        addr_npi: o.addrNpi,
        address_range: o.addressRange,
      },
      timeoutMs,
    );
  }

  /** Sends a submit_sm; resolves with the submit_sm_resp (messageId set) or generic_nack. */
  submitSm(o: SubmitSmOptions, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SmppPdu> {
    return this.request(
      'submit_sm',
      {
        service_type: o.serviceType,
        source_addr_ton: o.sourceAddrTon,
        source_addr_npi: o.sourceAddrNpi,
        source_addr: o.sourceAddr,
        dest_addr_ton: o.destAddrTon,
        dest_addr_npi: o.destAddrNpi,
        destination_addr: o.destinationAddr,
        esm_class: o.esmClass,
        protocol_id: o.protocolId,
        priority_flag: o.priorityFlag,
        schedule_delivery_time: o.scheduleDeliveryTime,
        validity_period: o.validityPeriod,
        registered_delivery: o.registeredDelivery,
        replace_if_present_flag: o.replaceIfPresentFlag,
        data_coding: o.dataCoding,
        sm_default_msg_id: o.smDefaultMsgId,
        short_message_hex: (o.shortMessage ?? Buffer.alloc(0)).toString('hex'),
        tlvs: (o.tlvs ?? []).map((t) => ({ tag: t.tag, hex: t.value.toString('hex') })),
      },
      timeoutMs,
    );
  }

  querySm(o: QuerySmOptions, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SmppPdu> {
    return this.request(
      'query_sm',
      {
        message_id: o.messageId,
        source_addr: o.sourceAddr,
        source_addr_ton: o.sourceAddrTon,
        source_addr_npi: o.sourceAddrNpi,
      },
      timeoutMs,
    );
  }

  enquireLink(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SmppPdu> {
    return this.request('enquire_link', {}, timeoutMs);
  }

  unbind(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SmppPdu> {
    return this.request('unbind', {}, timeoutMs);
  }

  /** Writes raw bytes to the socket (a hand-made or broken PDU); answers show up in pdus(). */
  async sendRaw(bytes: Buffer): Promise<void> {
    await this.control('raw', { hex: bytes.toString('hex') });
  }

  /**
   * How deliver_sm (and data_sm) from the server are answered: automatically with `status`
   * (default true, 0), or not at all, so the test answers with deliverSmResp() or lets them time out.
   * Automatic answers leave `delayMs` after their PDU arrived (default 0: at once), each on its own
   * timer in the Perl client, so a slow ESME keeps several deliver_sm unanswered at once.
   */
  async setAutoRespond(autoRespond: boolean, status = 0, delayMs = 0): Promise<void> {
    await this.control('set', { auto_respond: autoRespond, deliver_status: status, answer_delay_ms: delayMs });
  }

  /** Answers one deliver_sm by hand (after setAutoRespond(false)). */
  async deliverSmResp(sequenceNumber: number, status = 0): Promise<void> {
    await this.control('deliver_sm_resp', { sequence_number: sequenceNumber, status });
  }

  /** Every PDU the server sent on its own (deliver_sm, enquire_link, unbind, unmatched responses). */
  pdus(): SmppPdu[] {
    return this.unsolicited.all();
  }

  /**
   * How many deliver_sm were received and not yet answered, after each deliver_sm that arrived and
   * each answer that left, in the order the Perl client saw them (so the count is exact, not sampled).
   */
  unansweredCounts(): number[] {
    return [...this.unansweredLog];
  }

  /** deliver_sm PDUs received so far. */
  deliveries(): DeliverSm[] {
    return this.pdus().filter(isDeliverSm);
  }

  waitForPdu(matches: Predicate<SmppPdu>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SmppPdu> {
    return this.unsolicited.wait(matches, timeoutMs);
  }

  async waitForDeliverSm(matches: Predicate<DeliverSm> = () => true, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<DeliverSm> {
    return (await this.unsolicited.wait((p) => isDeliverSm(p) && matches(p), timeoutMs)) as DeliverSm;
  }

  async waitForDeliverSms(count: number, matches: Predicate<DeliverSm> = () => true, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<DeliverSm[]> {
    return (await this.unsolicited.waitCount(count, (p) => isDeliverSm(p) && matches(p), timeoutMs)) as DeliverSm[];
  }

  /** Resolves with the reason once the connection has ended (server close, close(), crash). */
  closed(): Promise<string> {
    return this.closedPromise;
  }

  /** Drops the connection (no unbind: call unbind() first for a clean end). Idempotent. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
      await this.closedPromise;
      clearTimeout(timer);
    }
  }

  /** What the Perl side printed on stderr (Net::SMPP warnings), for error messages. */
  diagnostics(): string {
    return `Net::SMPP ${this.label} ${this.closeReason ? `closed (${this.closeReason})` : 'open'}; stderr:\n${this.stderr.trim() || '(none)'}`;
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private started(): Promise<void> {
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: this.child.stdout! });
      let connected = false;
      lines.on('line', (line) => {
        const msg = parseLine(line);
        if (!msg) return;
        if ('event' in msg && msg.event === 'connected') {
          connected = true;
          resolve();
        } else if ('event' in msg && msg.event === 'closed' && !connected) {
          this.closeReason = msg.reason;
          reject(new Error(`Net::SMPP ${this.label}: ${msg.reason}\n${this.diagnostics()}`));
        } else {
          this.onLine(msg);
        }
      });
      void this.closedPromise.then(() => {
        if (!connected) reject(new Error(`Net::SMPP ${this.label} did not start\n${this.diagnostics()}`));
      });
    });
  }

  private onLine(msg: WireLine): void {
    if ('id' in msg) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.pdu ? fromWire(msg.pdu) : undefined);
      else p.reject(new Error(`Net::SMPP ${this.label}: ${p.what} failed: ${msg.error}`));
    } else if (msg.event === 'pdu') {
      const pdu = fromWire(msg.pdu);
      if (isDeliverSm(pdu)) this.countUnanswered(+1);
      this.unsolicited.push(pdu);
    } else if (msg.event === 'answered') {
      if (msg.command === 'deliver_sm') this.countUnanswered(-1);
    } else if (msg.event === 'closed') {
      this.closeReason = msg.reason;
    } else if (msg.event === 'error') {
      this.stderr += `\n${msg.error}`;
    }
  }

  private async request(cmd: string, args: Record<string, unknown>, timeoutMs: number): Promise<SmppPdu> {
    const pdu = await this.send(cmd, args, timeoutMs);
    if (!pdu) throw new Error(`Net::SMPP ${this.label}: ${cmd} got no PDU back`);
    return pdu;
  }

  private async control(cmd: string, args: Record<string, unknown>): Promise<void> {
    await this.send(cmd, args, DEFAULT_TIMEOUT_MS);
  }

  private send(cmd: string, args: Record<string, unknown>, timeoutMs: number): Promise<SmppPdu | undefined> {
    if (this.closeReason) return Promise.reject(new Error(`Net::SMPP ${this.label}: ${cmd} on a closed connection (${this.closeReason})`));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`Net::SMPP ${this.label}: no answer to ${cmd} within ${timeoutMs} ms\n${this.diagnostics()}`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, what: cmd });
      const clean = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
      this.child.stdin!.write(`${JSON.stringify({ id, cmd, ...clean })}\n`);
    });
  }

  private countUnanswered(change: number): void {
    this.unanswered += change;
    this.unansweredLog.push(this.unanswered);
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }
}

function parseLine(line: string): WireLine | undefined {
  try {
    return JSON.parse(line) as WireLine;
  } catch {
    return undefined;
  }
}

const HEADER_KEYS = new Set(['command_id', 'command', 'command_status', 'sequence_number', 'body_hex', 'short_message_hex', 'tlvs']);

function fromWire(w: WirePdu): SmppPdu {
  const fields: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(w)) {
    if (!HEADER_KEYS.has(k) && (typeof v === 'string' || typeof v === 'number')) fields[k] = v;
  }
  const pdu: SmppPdu = {
    commandId: w.command_id >>> 0,
    command: w.command,
    commandStatus: w.command_status,
    sequenceNumber: w.sequence_number,
    fields,
    shortMessage: Buffer.from(w.short_message_hex ?? '', 'hex'),
    body: Buffer.from(w.body_hex, 'hex'),
    tlvs: w.tlvs.map((t) => ({ tag: t.tag, value: Buffer.from(t.hex, 'hex') })),
    messageId: typeof fields.message_id === 'string' ? fields.message_id : undefined,
  };
  if (pdu.command !== 'deliver_sm') return pdu;
  const deliver: DeliverSm = {
    ...pdu,
    sourceAddr: String(fields.source_addr ?? ''),
    destinationAddr: String(fields.destination_addr ?? ''),
    esmClass: Number(fields.esm_class ?? 0),
    dataCoding: Number(fields.data_coding ?? 0),
  };
  return deliver;
}

function isDeliverSm(p: SmppPdu): p is DeliverSm {
  return p.command === 'deliver_sm';
}

function describePdu(p: SmppPdu): string {
  return `${p.command} status=${p.commandStatus} seq=${p.sequenceNumber} ${JSON.stringify(p.fields)} sm=${p.shortMessage.toString('hex')}`;
}
