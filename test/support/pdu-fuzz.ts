/**
 * SMPP fuzzing for acceptance tests: a seeded generator of valid, mutated and broken PDUs, and a
 * driver that sends them to a server over several TCP connections and tallies what comes back.
 *
 *   const result = await fuzzSmpp({ host, port, count: 100_000, seed: 42, connections: 16 });
 *   expect(result.aborted).toBeUndefined();          // the server kept accepting connections
 *
 * The driver sends a random batch of fuzz PDUs, then an enquire_link "probe" with its own sequence
 * number: a server that answers the probe has read past the batch and is still serving that
 * connection. After a PDU whose command_length lies (the stream can no longer be framed) it sends
 * nothing more on that connection, waits briefly for the server to close it, then closes it
 * itself and reconnects. Requests the server sends (enquire_link, unbind, deliver_sm) are
 * answered so a well-behaved server is never left waiting.
 * The same seed gives the same PDUs per connection; replay a failure by its seed.
 */
import { connect, type Socket } from 'node:net';
import { bindBody, CMD, commandName, cstr, encodePdu, HEADER_LEN, RESPONSE, submitSmBody, tlv } from './pdu-encode.js';
import { seededRandom, type SeededRandom } from './seeded-random.js';

export * from './pdu-encode.js';

/** Largest PDU the driver accepts from a server before calling its framing broken. */
const MAX_RESPONSE_LEN = 70_000;

// ---- generator --------------------------------------------------------------------------------------

/** What a fuzz PDU is: well-formed, mutated but still framed, or with a lying command_length. */
export const FUZZ_KINDS = {
  // valid
  bind: 6,
  submit_sm: 14,
  enquire_link: 4,
  query_sm: 3,
  other_valid: 6,
  // mutated, command_length still matches the bytes sent
  bad_command_id: 8,
  truncated_body: 10,
  missing_nul: 8,
  garbage_tlv: 8,
  oversized_field: 5,
  random_body: 8,
  bad_status: 3,
  trailing_bytes: 3,
  // unframed: the stream cannot be parsed past this PDU
  length_too_small: 3,
  length_too_large: 3,
  huge_length: 2,
  length_under_16: 2,
  random_bytes: 4,
} as const;
export type FuzzKind = keyof typeof FUZZ_KINDS;

const UNFRAMED = new Set<FuzzKind>(['length_too_small', 'length_too_large', 'huge_length', 'length_under_16', 'random_bytes']);

export interface FuzzPdu {
  kind: FuzzKind;
  bytes: Buffer;
  /** False when command_length does not match the bytes: nothing after it can be framed. */
  framed: boolean;
}

export interface FuzzerOptions {
  /** Valid credentials, used by some of the binds so submit paths past the bind get exercised. */
  credentials?: { systemId: string; password: string };
  /** Relative weights per kind (default FUZZ_KINDS); 0 turns a kind off. */
  weights?: Partial<Record<FuzzKind, number>>;
  /** Never a bind or an unbind, mutated or not (a peer that stays connected and unbound). */
  noBinds?: boolean;
}

/** Commands that neither bind nor end a session (a peer that stays connected and unbound). */
const UNBOUND_COMMANDS = Object.values(CMD).filter(
  (id) => ![CMD.bind_receiver, CMD.bind_transmitter, CMD.bind_transceiver, CMD.unbind].includes(id as never),
);
const ODD_COMMAND_IDS = [0, 0x7fffffff, 0xffffffff, RESPONSE, 0x80000004, 0x80000009, 0x0a, 0x0c, 0x104, 0x10000, 0x80000015];
const ALPHABET = [...'abcXYZ0189 +-_@£€{}\u00e9'];

/** A seeded stream of fuzz PDUs. */
export class PduFuzzer {
  private readonly rng: SeededRandom;
  private seq = 0;
  private readonly table: Array<[FuzzKind, number]>;
  private readonly total: number;

  constructor(
    seed: number,
    private readonly opts: FuzzerOptions = {},
  ) {
    this.rng = seededRandom(seed);
    this.table = (Object.keys(FUZZ_KINDS) as FuzzKind[])
      .map((k): [FuzzKind, number] => [k, opts.weights?.[k] ?? FUZZ_KINDS[k]])
      .filter(([, w]) => w > 0);
    this.total = this.table.reduce((n, [, w]) => n + w, 0);
  }

  next(): FuzzPdu {
    let roll = this.rng.next() * this.total;
    const [kind] = this.table.find(([, w]) => (roll -= w) < 0) ?? this.table[this.table.length - 1];
    return { kind, bytes: this.build(kind), framed: !UNFRAMED.has(kind) };
  }

  private nextSeq(): number {
    this.seq = (this.seq % 0x00ffffff) + 1;
    return this.seq;
  }

  private build(kind: FuzzKind): Buffer {
    const r = this.rng;
    switch (kind) {
      case 'bind':
        return this.bind();
      case 'submit_sm':
        return this.submit();
      case 'enquire_link':
        return encodePdu(CMD.enquire_link, Buffer.alloc(0), this.nextSeq());
      case 'query_sm':
        return encodePdu(CMD.query_sm, Buffer.concat([cstr(this.text(1, 12)), Buffer.from([1, 1]), cstr('1555')]), this.nextSeq());
      case 'other_valid':
        return this.otherValid();
      case 'bad_command_id':
        return this.withHeader(this.submitOrBind(), { commandId: r.pick([...ODD_COMMAND_IDS, r.int(0, 0xffffffff)]) });
      case 'truncated_body':
        return this.truncated(this.submitOrBind());
      case 'missing_nul':
        return this.withoutNuls(this.submitOrBind());
      case 'garbage_tlv':
        return this.garbageTlv();
      case 'oversized_field':
        return this.oversized();
      case 'random_body':
        return encodePdu(r.pick(this.opts.noBinds ? UNBOUND_COMMANDS : Object.values(CMD)), r.bytes(r.int(0, 300)), this.nextSeq());
      case 'bad_status':
        return this.withHeader(this.submitOrBind(), { status: r.int(1, 0xffffffff) });
      case 'trailing_bytes':
        return this.reframe(Buffer.concat([this.submitOrBind(), r.bytes(r.int(1, 3))]));
      case 'length_too_small': {
        const pdu = this.submitOrBind();
        return this.withHeader(pdu, { length: r.int(HEADER_LEN, pdu.length - 1) });
      }
      case 'length_too_large': {
        const pdu = this.submitOrBind();
        return this.withHeader(pdu, { length: pdu.length + r.int(1, 1_000) });
      }
      case 'huge_length':
        return this.withHeader(this.submitOrBind(), { length: r.pick([0xffffffff, 0x7fffffff, r.int(1 << 20, 0xfffffff0)]) });
      case 'length_under_16':
        return this.withHeader(encodePdu(CMD.enquire_link, Buffer.alloc(0), this.nextSeq()), { length: r.int(0, 15) });
      case 'random_bytes':
        return r.bytes(r.int(1, 200));
    }
  }

  private text(min: number, max: number): string {
    return this.rng.string(ALPHABET, this.rng.int(min, max));
  }

  private bind(): Buffer {
    const r = this.rng;
    const creds =
      this.opts.credentials && r.next() < 0.5 ? this.opts.credentials : { systemId: this.text(0, 15), password: this.text(0, 8) };
    const id = r.pick([CMD.bind_transceiver, CMD.bind_transmitter, CMD.bind_receiver]);
    return encodePdu(id, bindBody({ ...creds, interfaceVersion: r.pick([0x34, 0x33, 0x50, 0]) }), this.nextSeq());
  }

  private submit(): Buffer {
    const r = this.rng;
    const udh = r.next() < 0.2 ? Buffer.from([5, 0, 3, r.int(0, 255), r.int(1, 3), r.int(1, 3)]) : Buffer.alloc(0);
    const dataCoding = r.pick([0, 0, 1, 3, 4, 8, 0xf0, r.int(0, 255)]);
    const text = dataCoding === 8 ? Buffer.from(this.text(0, 60), 'utf16le').swap16() : Buffer.from(this.text(0, 140), 'latin1');
    const tlvs = r.next() < 0.15 ? tlv(0x0424, Buffer.from(this.text(1, 300), 'latin1')) : Buffer.alloc(0);
    return encodePdu(
      CMD.submit_sm,
      submitSmBody({
        sourceAddr: r.pick(['15550001111', 'ACME', '', this.text(0, 20)]),
        sourceAddrTon: r.int(0, 6),
        sourceAddrNpi: r.pick([0, 1, 9]),
        destinationAddr: r.pick(['15550002222', '+15550002222', '', this.text(0, 20)]),
        esmClass: udh.length ? 0x40 : r.pick([0, 0, 3, 4, r.int(0, 255)]),
        registeredDelivery: r.int(0, 3),
        dataCoding,
        shortMessage: Buffer.concat([udh, text]).subarray(0, 254),
        tlvs,
      }),
      this.nextSeq(),
    );
  }

  private submitOrBind(): Buffer {
    return this.opts.noBinds || this.rng.next() < 0.7 ? this.submit() : this.bind();
  }

  private otherValid(): Buffer {
    const r = this.rng;
    const seq = this.nextSeq();
    switch (r.int(0, 7)) {
      case 0:
        return encodePdu(
          CMD.cancel_sm,
          Buffer.concat([cstr(''), cstr(this.text(1, 10)), Buffer.from([1, 1]), cstr('1555'), Buffer.from([1, 1]), cstr('1666')]),
          seq,
        );
      case 1:
        return encodePdu(
          CMD.data_sm,
          Buffer.concat([
            cstr(''),
            Buffer.from([1, 1]),
            cstr('1555'),
            Buffer.from([1, 1]),
            cstr('1666'),
            Buffer.from([0, 0, 0]),
            tlv(0x0424, Buffer.from('hi')),
          ]),
          seq,
        );
      case 2:
        return encodePdu((CMD.deliver_sm | RESPONSE) >>> 0, cstr(''), r.int(1, 1000));
      case 3:
        return encodePdu(CMD.generic_nack, Buffer.alloc(0), r.int(1, 1000), r.int(0, 0x100));
      case 4:
        return encodePdu(CMD.outbind, Buffer.concat([cstr('x'), cstr('y')]), seq);
      case 5:
        return encodePdu(
          CMD.replace_sm,
          Buffer.concat([cstr('1'), Buffer.from([1, 1]), cstr('1555'), cstr(''), cstr(''), Buffer.from([0, 0, 2]), Buffer.from('hi')]),
          seq,
        );
      case 6:
        return encodePdu(
          CMD.alert_notification,
          Buffer.concat([Buffer.from([1, 1]), cstr('1555'), Buffer.from([1, 1]), cstr('1666')]),
          seq,
        );
      default:
        return encodePdu(CMD.enquire_link | RESPONSE, Buffer.alloc(0), r.int(1, 1000));
    }
  }

  private withHeader(pdu: Buffer, h: { length?: number; commandId?: number; status?: number }): Buffer {
    const out = Buffer.from(pdu);
    if (h.length !== undefined) out.writeUInt32BE(h.length >>> 0, 0);
    if (h.commandId !== undefined) out.writeUInt32BE(h.commandId >>> 0, 4);
    if (h.status !== undefined) out.writeUInt32BE(h.status >>> 0, 8);
    return out;
  }

  /** Fixes command_length to the bytes' length. */
  private reframe(pdu: Buffer): Buffer {
    return this.withHeader(pdu, { length: pdu.length });
  }

  private truncated(pdu: Buffer): Buffer {
    return this.reframe(pdu.subarray(0, this.rng.int(HEADER_LEN, pdu.length - 1)));
  }

  private withoutNuls(pdu: Buffer): Buffer {
    const out = Buffer.from(pdu);
    for (let i = HEADER_LEN; i < out.length; i++) {
      if (out[i] === 0 && this.rng.next() < 0.7) out[i] = this.rng.int(0x21, 0x7e);
    }
    return out;
  }

  private garbageTlv(): Buffer {
    const r = this.rng;
    const value = r.bytes(r.int(0, 40));
    const head = Buffer.alloc(4);
    head.writeUInt16BE(r.pick([0x0424, 0x020c, 0x020e, 0x020f, 0x001e, r.int(0, 0xffff)]), 0);
    // The TLV's own length may lie about its value (longer or shorter than what follows).
    head.writeUInt16BE(r.pick([value.length, value.length + r.int(1, 500), 0, 0xffff]), 2);
    return this.reframe(Buffer.concat([this.submit(), head, value, r.next() < 0.3 ? r.bytes(r.int(1, 3)) : Buffer.alloc(0)]));
  }

  private oversized(): Buffer {
    const r = this.rng;
    const long = (n: number): string => 'x'.repeat(n);
    if (r.next() < 0.5) {
      return encodePdu(
        CMD.bind_transceiver,
        bindBody({ systemId: long(r.int(17, 300)), password: long(r.int(10, 100)), systemType: long(r.int(0, 50)) }),
        this.nextSeq(),
      );
    }
    return encodePdu(
      CMD.submit_sm,
      submitSmBody({
        sourceAddr: long(r.int(22, 200)),
        destinationAddr: long(r.int(22, 200)),
        shortMessage: r.bytes(r.int(0, 40)),
        smLength: r.int(41, 255),
      }),
      this.nextSeq(),
    );
  }
}

// ---- driver -----------------------------------------------------------------------------------------

export interface FuzzOptions {
  host: string;
  port: number;
  /** Fuzz PDUs to send in all (probes not counted). */
  count: number;
  seed: number;
  /** Parallel TCP connections. Default 4. */
  connections?: number;
  credentials?: { systemId: string; password: string };
  weights?: Partial<Record<FuzzKind, number>>;
  /** Largest batch of fuzz PDUs between two probes. Default 8. */
  batchMax?: number;
  /** How long a probe may go unanswered before the connection is dropped. Default 2000 ms. */
  probeTimeoutMs?: number;
  /** How long to wait for the server to close after an unframed PDU. Default 150 ms. */
  settleMs?: number;
  /** Consecutive failed connects before the run gives up (the server stopped serving). Default 20. */
  maxConnectFailures?: number;
  /** The whole run's deadline. Default 120 s. */
  timeoutMs?: number;
}

export interface FuzzResult {
  seed: number;
  /** Fuzz PDUs written. */
  sent: number;
  byKind: Partial<Record<FuzzKind, number>>;
  /** Responses to fuzz PDUs by command name (generic_nack, submit_sm_resp, ...). */
  responses: Record<string, number>;
  /** Responses by `name:0xSTATUS`. */
  statuses: Record<string, number>;
  /** enquire_link probes after each batch: answered means the connection was still served. */
  probes: { sent: number; answered: number; unanswered: number };
  connections: {
    opened: number;
    closedByServer: number;
    /** After an unframed PDU the server kept silent, or a probe went unanswered. */
    closedByUs: number;
    connectFailures: number;
  };
  /** The kind of the last fuzz PDU written before each close by the server. */
  closesAfterKind: Partial<Record<FuzzKind, number>>;
  /** Requests the server sent (and that were answered): enquire_link, unbind, deliver_sm, ... */
  serverRequests: Record<string, number>;
  /** Frames from the server that could not be parsed (a length < 16 or absurdly large). */
  protocolErrors: number;
  durationMs: number;
  /** Why the run stopped early (deadline, or the server no longer accepting connections). */
  aborted?: string;
}

const PROBE_SEQ_BASE = 0x7f000000;

type Outcome = 'answered' | 'closed' | 'timeout';

/** Sends `count` fuzz PDUs to host:port and reports what happened; never throws for server behaviour. */
export async function fuzzSmpp(opts: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const result: FuzzResult = {
    seed: opts.seed,
    sent: 0,
    byKind: {},
    responses: {},
    statuses: {},
    probes: { sent: 0, answered: 0, unanswered: 0 },
    connections: { opened: 0, closedByServer: 0, closedByUs: 0, connectFailures: 0 },
    closesAfterKind: {},
    serverRequests: {},
    protocolErrors: 0,
    durationMs: 0,
  };
  const workers = Math.max(1, opts.connections ?? 4);
  const deadline = started + (opts.timeoutMs ?? 120_000);
  const quotas = Array.from({ length: workers }, (_, i) => Math.floor(opts.count / workers) + (i < opts.count % workers ? 1 : 0));
  await Promise.all(quotas.map((quota, i) => new FuzzWorker(opts, i, result, deadline).run(quota)));
  result.durationMs = Date.now() - started;
  return result;
}

function bump<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

class FuzzWorker {
  private readonly fuzzer: PduFuzzer;
  private readonly rng: SeededRandom;
  private probeSeq: number;

  constructor(
    private readonly opts: FuzzOptions,
    index: number,
    private readonly result: FuzzResult,
    private readonly deadline: number,
  ) {
    // Each connection has its own stream, so a run replays identically whatever the timing.
    this.fuzzer = new PduFuzzer(opts.seed * 7919 + index, { credentials: opts.credentials, weights: opts.weights });
    this.rng = seededRandom(opts.seed ^ (0x9e3779b9 * (index + 1)));
    this.probeSeq = PROBE_SEQ_BASE + index * 0x100000;
  }

  async run(quota: number): Promise<void> {
    let conn: FuzzConnection | undefined;
    let sent = 0;
    let failures = 0;
    while (sent < quota && !this.result.aborted) {
      if (Date.now() > this.deadline) {
        this.result.aborted = `deadline of ${this.opts.timeoutMs ?? 120_000} ms reached after ${this.result.sent} PDUs`;
        break;
      }
      if (!conn || conn.closed) {
        const opened = await FuzzConnection.open(this.opts.host, this.opts.port, this.result).catch((err: Error) => err);
        if (opened instanceof Error) {
          this.result.connections.connectFailures++;
          if (++failures >= (this.opts.maxConnectFailures ?? 20)) {
            this.result.aborted = `server stopped accepting connections: ${opened.message}`;
          }
          await sleep(50);
          continue;
        }
        conn = opened;
        failures = 0;
      }
      sent += await this.batch(conn, Math.min(this.rng.int(1, this.opts.batchMax ?? 8), quota - sent));
    }
    if (conn && !conn.closed) {
      conn.destroy();
      await conn.waitClosed(1_000);
    }
  }

  /** Writes up to `size` fuzz PDUs, then probes (or, after an unframed one, lets the connection go). */
  private async batch(conn: FuzzConnection, size: number): Promise<number> {
    let written = 0;
    let last: FuzzPdu | undefined;
    for (let i = 0; i < size && !conn.closed; i++) {
      last = this.fuzzer.next();
      conn.write(last);
      written++;
      this.result.sent++;
      bump(this.result.byKind, last.kind);
      if (!last.framed) break;
    }
    if (conn.closed) return written;
    if (last && !last.framed) {
      if (!(await conn.waitClosed(this.opts.settleMs ?? 150))) conn.destroy();
      return written;
    }
    const seq = this.probeSeq++;
    this.result.probes.sent++;
    conn.probe(seq);
    const outcome = await conn.waitForProbe(seq, this.opts.probeTimeoutMs ?? 2_000);
    if (outcome === 'answered') this.result.probes.answered++;
    else if (outcome === 'timeout') {
      this.result.probes.unanswered++;
      conn.destroy();
    }
    return written;
  }
}

/** One TCP connection: writes PDUs, frames what comes back, answers the server's requests. */
class FuzzConnection {
  closed = false;
  private byUs = false;
  private buf = Buffer.alloc(0);
  private lastKind: FuzzKind | undefined;
  private readonly probeWaiters = new Map<number, (o: Outcome) => void>();
  private readonly closeWaiters = new Set<() => void>();

  private constructor(
    private readonly sock: Socket,
    private readonly result: FuzzResult,
  ) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', () => undefined); // ECONNRESET/EPIPE: 'close' follows
    sock.on('close', () => this.onClose());
  }

  static open(host: string, port: number, result: FuzzResult): Promise<FuzzConnection> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port });
      const timer = setTimeout(() => sock.destroy(new Error('connect timeout')), 5_000);
      sock.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        result.connections.opened++;
        resolve(new FuzzConnection(sock, result));
      });
    });
  }

  write(pdu: FuzzPdu): void {
    this.lastKind = pdu.kind;
    this.sock.write(pdu.bytes);
  }

  probe(seq: number): void {
    this.sock.write(encodePdu(CMD.enquire_link, Buffer.alloc(0), seq));
  }

  waitForProbe(seq: number, timeoutMs: number): Promise<Outcome> {
    if (this.closed) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      const finish = (o: Outcome): void => {
        clearTimeout(timer);
        this.probeWaiters.delete(seq);
        resolve(o);
      };
      this.probeWaiters.set(seq, finish);
    });
  }

  /** True if the server closed the connection within `timeoutMs`. */
  waitClosed(timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.closeWaiters.delete(done);
        resolve(false);
      }, timeoutMs);
      this.closeWaiters.add(done);
    });
  }

  destroy(): void {
    if (this.closed) return;
    this.byUs = true;
    this.sock.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.byUs) this.result.connections.closedByUs++;
    else {
      this.result.connections.closedByServer++;
      if (this.lastKind) bump(this.result.closesAfterKind, this.lastKind);
    }
    for (const w of [...this.probeWaiters.values()]) w('closed');
    for (const w of [...this.closeWaiters]) w();
    this.closeWaiters.clear();
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (len < HEADER_LEN || len > MAX_RESPONSE_LEN) {
        this.result.protocolErrors++;
        this.destroy();
        return;
      }
      if (this.buf.length < len) return;
      const frame = this.buf.subarray(0, len);
      this.buf = this.buf.subarray(len);
      this.onFrame(frame.readUInt32BE(4), frame.readUInt32BE(8), frame.readUInt32BE(12));
    }
  }

  private onFrame(commandId: number, status: number, seq: number): void {
    const name = commandName(commandId);
    if (commandId & RESPONSE) {
      const probe = this.probeWaiters.get(seq);
      if (probe) return probe('answered');
      bump(this.result.responses, name);
      bump(this.result.statuses, `${name}:0x${status.toString(16).padStart(8, '0')}`);
      return;
    }
    bump(this.result.serverRequests, name);
    if (commandId === CMD.enquire_link || commandId === CMD.unbind) {
      this.sock.write(encodePdu((commandId | RESPONSE) >>> 0, Buffer.alloc(0), seq));
    } else if (commandId === CMD.deliver_sm || commandId === CMD.data_sm) {
      this.sock.write(encodePdu((commandId | RESPONSE) >>> 0, cstr(''), seq));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- unbound flood ----------------------------------------------------------------------------------

/** Every kind that keeps the stream framed and is not a bind: what an unbound peer can send without being cut off. */
export const UNBOUND_FLOOD_WEIGHTS: Partial<Record<FuzzKind, number>> = {
  bind: 0,
  length_too_small: 0,
  length_too_large: 0,
  huge_length: 0,
  length_under_16: 0,
  random_bytes: 0,
  oversized_field: 0,
};

export interface FloodOptions {
  /** Opens one connection (with whatever preamble, e.g. a PROXY header, already written). */
  open: (index: number) => Promise<Socket>;
  count: number;
  seed: number;
  /** Connections at once. Default 4. */
  connections?: number;
  weights?: Partial<Record<FuzzKind, number>>;
  /** Bytes per write. Default 64 KiB. */
  writeBytes?: number;
  /** PDUs per connection before it is probed, closed and replaced. Default 5,000. */
  perConnection?: number;
}

export interface FloodResult {
  /** PDUs handed to a socket that was open. */
  written: number;
  /** Connections opened (the server may close them: bind timeout, a refused bind). */
  opened: number;
  /** Bytes the server answered with. */
  answeredBytes: number;
  /** Connections whose closing probe was answered (the rest the server closed first). */
  probesAnswered: number;
  durationMs: number;
}

/**
 * Floods a server with `count` framed fuzz PDUs from peers that never bind, in big writes (no
 * waiting for answers, which are read and dropped so the server never blocks on them). When the
 * server closes a connection another is opened for the rest.
 */
export async function floodUnbound(opts: FloodOptions): Promise<FloodResult> {
  const started = Date.now();
  const result: FloodResult = { written: 0, opened: 0, answeredBytes: 0, probesAnswered: 0, durationMs: 0 };
  const workers = opts.connections ?? 4;
  const fuzzer = new PduFuzzer(opts.seed, { noBinds: true, weights: { ...UNBOUND_FLOOD_WEIGHTS, ...opts.weights } });
  let left = opts.count;
  const take = (n: number): Buffer[] => {
    const out: Buffer[] = [];
    for (; out.length < n && left > 0; left--) out.push(fuzzer.next().bytes);
    return out;
  };
  let opened = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (left > 0) {
        const socket = await opts.open(opened++);
        result.opened++;
        const answers = new AnswerScanner(socket, result);
        let budget = opts.perConnection ?? 5_000;
        while (left > 0 && budget > 0 && !socket.destroyed) {
          const batch = take(Math.min(budget, Math.max(1, Math.floor((opts.writeBytes ?? 65_536) / 200))));
          budget -= batch.length;
          const ok = socket.write(Buffer.concat(batch));
          result.written += batch.length;
          if (!ok) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), answers.closed]);
        }
        // The server answers in order: once the probe is answered, everything before it was read.
        if (!socket.destroyed && (await answers.probe())) result.probesAnswered++;
        socket.destroy();
        await answers.closed;
      }
    }),
  );
  result.durationMs = Date.now() - started;
  return result;
}

const FLOOD_PROBE_SEQ = 0x7ffffff0;

/** Reads a flood connection's answers (dropping them) until its closing enquire_link is answered. */
class AnswerScanner {
  readonly closed: Promise<void>;
  private buf: Buffer = Buffer.alloc(0);
  private probed?: () => void;

  constructor(
    private readonly socket: Socket,
    result: FloodResult,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      result.answeredBytes += d.length;
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.scan();
    });
  }

  /** True once answered; false if the server closed the connection first. */
  probe(): Promise<boolean> {
    const answered = new Promise<boolean>((resolve) => (this.probed = () => resolve(true)));
    this.socket.write(encodePdu(CMD.enquire_link, Buffer.alloc(0), FLOOD_PROBE_SEQ));
    return Promise.race([answered, this.closed.then(() => false)]);
  }

  private scan(): void {
    let at = 0;
    while (this.buf.length - at >= HEADER_LEN) {
      const len = this.buf.readUInt32BE(at);
      if (len < HEADER_LEN || this.buf.length - at < len) break;
      if (this.buf.readUInt32BE(at + 4) === (CMD.enquire_link | RESPONSE) >>> 0 && this.buf.readUInt32BE(at + 12) === FLOOD_PROBE_SEQ) {
        this.probed?.();
      }
      at += len;
    }
    this.buf = this.buf.subarray(at);
  }
}
