/**
 * One SMPP connection, from accept to close: framing, the bind state machine, dispatch of the
 * ESME's requests to the server's handlers, and the wrapper the `smpp` library lacks for PDUs we
 * send (window, response timeout, write backpressure). Once bound it is the BoundSession the
 * deliver_sm egress sends through.
 *
 * Nothing a peer sends may throw out of here: undecodable PDUs get generic_nack, a broken frame
 * length gets generic_nack and the connection ends, a socket error ends only this session.
 */
import type { Duplex } from 'node:stream';
import { LogEvent, type Logger } from '../log/index.js';
import { corkForTurn } from '../peer/index.js';
import type { Metrics } from '../metrics/index.js';
import { SmppStatus, SmppStatusError, toCommandStatus } from './command-status.js';
import { PduFramer, type Frame } from './framing.js';
import {
  CommandId,
  MAX_PDU_LENGTH,
  MAX_SEQUENCE,
  UNBOUND_MAX_PDU_LENGTH,
  decodePdu,
  encodePdu,
  isResponse,
  responseCommand,
  statusLabel,
  type Pdu,
} from './pdu.js';
import { SmppSessionClosedError, type BindMode, type BoundSession, type DeliverAddresses, type DeliverResult } from './ports.js';
import type { QueryAnswer } from './query.js';
import type { SmppPart } from './types.js';
import { PendingRequests, SendWindow } from './window.js';

export type SessionState = 'open' | 'binding' | 'bound' | 'unbinding' | 'closed';

export interface SessionOptions {
  id: string;
  windowSize: number;
  /** Response timeout for PDUs we send. */
  timeoutMs: number;
  /** Idle time before we send enquire_link (0 = never). */
  enquireLinkIntervalMs: number;
  /** Silence after which the session is closed (0 = never). */
  inactivityTimeoutMs: number;
  /** A connection must be bound within this long (a bind still being checked does not count). */
  bindTimeoutMs: number;
  /** submit_sm/query_sm being handled at once before we stop reading (TCP backpressure). */
  maxInFlight: number;
}

export interface BindAnswer {
  status: number;
  clientId?: number;
  /** Frees the bind's slot in the session registry when the session ends. */
  release?: () => Promise<void>;
}

/** What the server does for a session's requests. */
export interface SessionHandler {
  bind(session: SmppSession, request: { systemId: string; password: string; mode: BindMode }): Promise<BindAnswer>;
  /** The session is bound (after its bind_resp went out). */
  bound(session: SmppSession): void;
  /** A bound session stops being bound (unbinding or closed); once per bind. */
  unbound(session: SmppSession): void;
  submit(session: SmppSession, pdu: Pdu): Promise<string>;
  query(session: SmppSession, pdu: Pdu): Promise<QueryAnswer>;
  /** The connection is gone; once per session. */
  closed(session: SmppSession): void;
}

export interface SessionDeps {
  socket: Duplex;
  remoteIp: string;
  handler: SessionHandler;
  metrics: Metrics;
  logger: Logger;
}

const BIND_MODES: Record<number, BindMode> = {
  [CommandId.BIND_TRANSMITTER]: 'transmitter',
  [CommandId.BIND_RECEIVER]: 'receiver',
  [CommandId.BIND_TRANSCEIVER]: 'transceiver',
};
/** SMPP 3.4 interface_version; 3.3 binds (0x33 and below) get no TLVs back. */
const SMPP_34 = 0x34;
/** The status label of PDUs read before a bind. */
const UNBOUND_STATUS = 'unbound';
/** How long a closing socket may take to flush before it is destroyed. */
const END_GRACE_MS = 2_000;

/** gomsggw's log event for a submit_sm refused with these statuses (the others it did not name). */
const SUBMIT_REFUSAL_EVENTS = new Map<number, LogEvent>([
  [SmppStatus.RINVSRCADR, LogEvent.InvalidSenderNumber],
  [SmppStatus.RINVDSTADR, LogEvent.InvalidDestinationNumber],
  [SmppStatus.RINVMSGLEN, LogEvent.EmptyDecodedMessage],
]);

export class SmppSession implements BoundSession {
  readonly id: string;
  readonly remoteIp: string;
  readonly connectedAt = Date.now();
  /** Resolves once the session is closed. */
  readonly done: Promise<void>;
  #markDone!: () => void;
  #state: SessionState = 'open';
  #mode?: BindMode;
  #clientId = 0;
  #systemId = '';
  #release?: () => Promise<void>;
  #lastReceivedAt = Date.now();
  #sequence = 0;
  #enquiring = false;
  /** The client sent unbind (not us): submits after it are answered ESME_RINVBNDSTS. */
  #unboundByClient = false;
  #inFlight = 0;
  #readPaused = false;
  #writeBlocked = false;
  /** Set once a bind succeeds; before it, PDUs are read up to UNBOUND_MAX_PDU_LENGTH and counted by command only. */
  #wasBound = false;
  /** #end has half-closed the socket and armed its grace timer. */
  #ending = false;
  readonly #framer = new PduFramer(UNBOUND_MAX_PDU_LENGTH);
  readonly #window: SendWindow;
  readonly #pending: PendingRequests<Pdu>;

  constructor(
    private readonly options: SessionOptions,
    private readonly deps: SessionDeps,
  ) {
    this.id = options.id;
    this.remoteIp = deps.remoteIp;
    this.done = new Promise((resolve) => (this.#markDone = resolve));
    this.#window = new SendWindow(options.windowSize);
    this.#pending = new PendingRequests(options.timeoutMs);
    const { socket } = deps;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => this.close('connection closed'));
    // A socket that waited for its PROXY header was paused; a 'data' listener alone does not resume it.
    socket.resume();
  }

  // ---- BoundSession ------------------------------------------------------------------------

  get clientId(): number {
    return this.#clientId;
  }
  get systemId(): string {
    return this.#systemId;
  }
  get mode(): BindMode {
    return this.#mode ?? 'transceiver';
  }
  get canReceive(): boolean {
    return this.#mode === 'receiver' || this.#mode === 'transceiver';
  }
  get open(): boolean {
    return this.#state === 'bound';
  }
  get state(): SessionState {
    return this.#state;
  }
  get lastReceivedAt(): number {
    return this.#lastReceivedAt;
  }

  async deliver(addresses: DeliverAddresses, part: SmppPart): Promise<DeliverResult> {
    if (!this.open || !this.canReceive) throw new SmppSessionClosedError(`session ${this.id} cannot take deliver_sm`);
    await this.#window.acquire();
    try {
      if (!this.open) throw new SmppSessionClosedError(`session ${this.id} closed`);
      const response = await this.#request('deliver_sm', {
        service_type: '',
        ...addresses,
        esm_class: part.esmClass,
        protocol_id: 0,
        priority_flag: 0,
        registered_delivery: 0,
        data_coding: part.dataCoding,
        short_message: part.shortMessage,
        ...part.tlvs,
      });
      return { commandStatus: response.command_status };
    } finally {
      this.#window.release();
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /**
   * Timers, driven by the server's housekeeping tick: bind timeout, inactivity, and our
   * enquire_link after idle time (a missing answer closes the session).
   */
  tick(now = Date.now()): void {
    const silent = now - this.#lastReceivedAt;
    // 'binding' too: a bind whose check never finishes must not hold the connection for ever.
    if ((this.#state === 'open' || this.#state === 'binding') && now - this.connectedAt > this.options.bindTimeoutMs) {
      this.close('no bind in time');
    } else if (this.options.inactivityTimeoutMs > 0 && silent > this.options.inactivityTimeoutMs) {
      void this.unbind(this.options.timeoutMs, 'inactivity');
    } else if (
      this.#state === 'bound' &&
      this.options.enquireLinkIntervalMs > 0 &&
      silent >= this.options.enquireLinkIntervalMs &&
      !this.#enquiring
    ) {
      this.#enquiring = true;
      this.#request('enquire_link', {}).then(
        () => (this.#enquiring = false),
        () => this.close('no enquire_link_resp'),
      );
    }
  }

  /**
   * Ends the session the polite way (SMPP 3.4 §4.2): stop taking submits, finish the ones in
   * hand and our deliver_sm in flight within `graceMs`, send unbind, wait for unbind_resp, close.
   */
  async unbind(graceMs: number, reason: string): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'unbinding') return;
    const wasBound = this.#leave('unbinding');
    this.#window.close(new SmppSessionClosedError(`session ${this.id} unbinding`));
    const deadline = Date.now() + graceMs;
    await this.#settled(graceMs);
    if (wasBound) {
      await this.#request('unbind', {}, Math.max(1, deadline - Date.now())).catch(() => undefined);
    }
    this.#end(reason);
  }

  /** Closes at once; in-flight deliver_sm fail with SmppSessionClosedError. Idempotent. */
  close(reason: string): void {
    if (this.#state === 'closed') return;
    this.#leave('closed');
    const err = new SmppSessionClosedError(`session ${this.id} closed: ${reason}`);
    this.#window.close(err);
    this.#pending.failAll(err);
    this.deps.socket.destroy();
    this.deps.logger.debug({ session: this.id, reason }, 'SMPP session closed');
    this.deps.handler.closed(this);
    this.#markDone();
  }

  /** Moves out of the current state; tells the handler when that ends a bind. True if it did. */
  #leave(next: 'unbinding' | 'closed'): boolean {
    const wasBound = this.#state === 'bound';
    this.#state = next;
    if (!wasBound) return false;
    // The slot frees as the bind ends, so the client may bind again at once (max_binds).
    void this.#release?.().catch((err: unknown) => this.deps.logger.warn({ err }, 'bind slot release failed'));
    this.#release = undefined;
    this.deps.handler.unbound(this);
    return true;
  }

  // ---- reading -----------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    this.#framer.push(chunk);
    this.#pump();
  }

  #pump(): void {
    while (!this.#readPaused && this.#state !== 'closed') {
      const frame = this.#framer.next();
      if (!frame) return;
      if (frame.kind === 'broken') return this.#brokenFraming(frame);
      this.#lastReceivedAt = Date.now();
      try {
        this.#onFrame(frame.buffer, performance.now());
      } catch (err) {
        this.deps.logger.error({ err, session: this.id }, 'SMPP PDU handling failed');
        this.#nack(frame.header.sequenceNumber, SmppStatus.RSYSERR);
      }
    }
  }

  #onFrame(buffer: Buffer, receivedAt: number): void {
    let pdu: Pdu;
    try {
      pdu = decodePdu(buffer);
      pdu.receivedAt = receivedAt;
    } catch (err) {
      this.deps.logger.debug({ err, session: this.id }, 'malformed SMPP PDU');
      const commandId = buffer.readUInt32BE(4);
      this.#count(commandId & 0x80000000 ? 'malformed_resp' : 'malformed', buffer.readUInt32BE(8), 'in');
      // SMPP 3.4 §3.3: a PDU whose body cannot be read is answered with generic_nack.
      if (!(commandId & 0x80000000)) this.#nack(buffer.readUInt32BE(12), SmppStatus.RINVCMDLEN);
      return;
    }
    this.#count(pdu.command, pdu.command_status, 'in');
    if (isResponse(pdu)) this.#onResponse(pdu);
    else this.#onRequest(pdu);
  }

  #onRequest(pdu: Pdu): void {
    const mode = BIND_MODES[pdu.command_id];
    if (mode) return void this.#onBind(pdu, mode);
    switch (pdu.command_id) {
      case CommandId.SUBMIT_SM:
        return this.#onSubmit(pdu);
      case CommandId.QUERY_SM:
        return this.#onQuery(pdu);
      case CommandId.ENQUIRE_LINK:
        return this.#respond(pdu, SmppStatus.ROK);
      case CommandId.UNBIND:
        return void this.#onUnbind(pdu);
      default:
        // Unknown command ids, and the operations we do not offer (data_sm, submit_multi,
        // cancel_sm, replace_sm, deliver_sm from an ESME, …): SMPP 3.4 §3.3 generic_nack.
        return this.#nack(pdu.sequence_number, SmppStatus.RINVCMDID);
    }
  }

  #onResponse(pdu: Pdu): void {
    const entry = this.#pending.settle(pdu.sequence_number, pdu);
    if (entry)
      this.deps.metrics.smppPduLatency.observe({ command: entry.command, direction: 'out' }, (performance.now() - entry.sentAt) / 1000);
  }

  async #onBind(pdu: Pdu, mode: BindMode): Promise<void> {
    const respond = (status: number, fields?: Record<string, unknown>) => this.#respond(pdu, status, fields);
    if (this.#state !== 'open')
      return respond(this.#state === 'binding' || this.#state === 'bound' ? SmppStatus.RALYBND : SmppStatus.RINVBNDSTS);
    this.#state = 'binding';
    const systemId = typeof pdu.system_id === 'string' ? pdu.system_id : '';
    const answer = await this.deps.handler
      .bind(this, { systemId, password: typeof pdu.password === 'string' ? pdu.password : '', mode })
      .catch((err: unknown): BindAnswer => ({ status: toCommandStatus(err) }));
    if (this.#state !== 'binding') {
      void answer.release?.().catch((err: unknown) => this.deps.logger.warn({ err }, 'bind slot release failed'));
      return;
    }
    if (answer.status !== SmppStatus.ROK || answer.clientId === undefined) {
      respond(answer.status);
      return this.#end('bind refused');
    }
    this.#mode = mode;
    this.#clientId = answer.clientId;
    this.#systemId = systemId;
    this.#release = answer.release;
    this.#state = 'bound';
    this.#wasBound = true;
    this.#framer.limit(MAX_PDU_LENGTH);
    const tlvs = Number(pdu.interface_version) >= SMPP_34 ? { sc_interface_version: SMPP_34 } : {};
    respond(SmppStatus.ROK, { system_id: systemId, ...tlvs });
    this.deps.handler.bound(this);
  }

  #onSubmit(pdu: Pdu): void {
    // Our own unbind (shutdown) is a passing fault the client should retry elsewhere; after its
    // own unbind the client is simply no longer bound.
    if (this.#state === 'unbinding') return this.#respond(pdu, this.#unboundByClient ? SmppStatus.RINVBNDSTS : SmppStatus.RSYSERR);
    if (this.#state !== 'bound' || this.#mode === 'receiver') return this.#respond(pdu, SmppStatus.RINVBNDSTS);
    this.#track(
      this.deps.handler.submit(this, pdu).then(
        (messageId) => this.#respond(pdu, SmppStatus.ROK, { message_id: messageId }),
        (err: unknown) => this.#respondError(pdu, err),
      ),
    );
  }

  #onQuery(pdu: Pdu): void {
    if (this.#state !== 'bound' || this.#mode === 'receiver') return this.#respond(pdu, SmppStatus.RINVBNDSTS);
    this.#track(
      this.deps.handler.query(this, pdu).then(
        (answer) => this.#respond(pdu, SmppStatus.ROK, { ...answer }),
        (err: unknown) => this.#respondError(pdu, err),
      ),
    );
  }

  /** Their unbind: answer what is in hand first, then unbind_resp, then close (SMPP 3.4 §4.2). */
  async #onUnbind(pdu: Pdu): Promise<void> {
    if (this.#state === 'closed') return;
    this.#unboundByClient = true;
    this.#leave('unbinding');
    this.#window.close(new SmppSessionClosedError(`session ${this.id} unbound by the client`));
    await this.#settled(this.options.timeoutMs);
    this.#respond(pdu, SmppStatus.ROK);
    this.#end('unbound by the client');
  }

  #brokenFraming(frame: Extract<Frame, { kind: 'broken' }>): void {
    this.deps.logger.debug({ session: this.id, reason: frame.reason }, 'broken SMPP framing');
    this.#count('broken_frame', frame.header.commandStatus, 'in');
    this.#nack(frame.header.sequenceNumber, SmppStatus.RINVCMDLEN);
    this.#end('broken framing');
  }

  // ---- in-flight accounting (backpressure) -------------------------------------------------

  #track(work: Promise<void>): void {
    this.#inFlight++;
    if (this.#inFlight >= this.options.maxInFlight) this.#pauseReading();
    void work
      .catch((err: unknown) => this.deps.logger.error({ err, session: this.id }, 'SMPP request failed'))
      .finally(() => {
        this.#inFlight--;
        this.#maybeResume();
      });
  }

  /** Resolves when no request is being handled and no deliver_sm waits, or after `ms`. */
  #settled(ms: number): Promise<void> {
    const busy = () => this.#inFlight > 0 || this.#pending.size > 0;
    if (!busy()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      const check = () => {
        if (!busy() || this.#state === 'closed') {
          clearTimeout(timer);
          resolve();
        } else setTimeout(check, 10);
      };
      check();
    });
  }

  #pauseReading(): void {
    if (this.#readPaused) return;
    this.#readPaused = true;
    this.deps.socket.pause();
  }

  #maybeResume(): void {
    if (!this.#readPaused || this.#writeBlocked || this.#inFlight >= this.options.maxInFlight) return;
    this.#readPaused = false;
    this.deps.socket.resume();
    this.#pump();
  }

  #onDrain(): void {
    this.#writeBlocked = false;
    this.#maybeResume();
  }

  // ---- writing -----------------------------------------------------------------------------

  #respond(request: Pdu, status: number, fields?: Record<string, unknown>): void {
    const command = responseCommand(request.command);
    this.#write(encodePdu(command, request.sequence_number, fields, status));
    this.#count(command, status, 'out');
    const took = (performance.now() - (request.receivedAt ?? performance.now())) / 1000;
    this.deps.metrics.smppPduLatency.observe({ command: request.command, direction: 'in' }, took);
  }

  #respondError(request: Pdu, err: unknown): void {
    const status = toCommandStatus(err);
    if (status === SmppStatus.RSYSERR) this.deps.logger.warn({ err, session: this.id, command: request.command }, 'SMPP request failed');
    const event = request.command === 'submit_sm' && err instanceof SmppStatusError ? SUBMIT_REFUSAL_EVENTS.get(status) : undefined;
    if (event)
      this.deps.logger.info({ event, session: this.id, systemId: this.systemId, reason: (err as Error).message }, 'submit_sm refused');
    this.#respond(request, status);
  }

  #nack(sequence: number, status: number): void {
    this.#write(encodePdu('generic_nack', sequence, {}, status));
    this.#count('generic_nack', status, 'out');
  }

  /** Sends a request of ours and waits for its response (or the timeout). */
  #request(command: string, fields: Record<string, unknown>, timeoutMs?: number): Promise<Pdu> {
    if (this.#state === 'closed') return Promise.reject(new SmppSessionClosedError(`session ${this.id} closed`));
    const sequence = this.#nextSequence();
    const buffer = encodePdu(command, sequence, fields);
    const response = this.#pending.wait(sequence, command, timeoutMs);
    this.#write(buffer);
    this.#count(command, 0, 'out');
    return response;
  }

  #write(buffer: Buffer): void {
    const { socket } = this.deps;
    if (this.#state === 'closed' || socket.destroyed || !socket.writable) return;
    corkForTurn(socket); // the answers to a window of requests leave in one write
    if (!socket.write(buffer) && !this.#writeBlocked) {
      // The peer reads slower than we answer: stop reading its requests until the buffer drains.
      this.#writeBlocked = true;
      this.#pauseReading();
    }
  }

  #nextSequence(): number {
    this.#sequence = this.#sequence >= MAX_SEQUENCE ? 1 : this.#sequence + 1;
    return this.#sequence;
  }

  /** Half-closes after the last write is flushed; destroys if the peer does not finish. */
  #end(reason: string): void {
    // Once: a peer that sends a thousand unbinds in one write must not get a thousand timers.
    if (this.#state === 'closed' || this.#ending) return;
    this.#ending = true;
    if (this.#state !== 'unbinding') this.#leave('unbinding');
    const { socket } = this.deps;
    socket.end();
    const timer = setTimeout(() => this.close(reason), END_GRACE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  /**
   * Labels come from bounded sets: command is a library name, 'unknown' or one of ours; status a
   * named one or 'other'. What an unbound peer sends is not counted per status at all ('unbound').
   */
  #count(command: string, status: number, direction: 'in' | 'out'): void {
    const label = direction === 'in' && !this.#wasBound ? UNBOUND_STATUS : statusLabel(status);
    this.deps.metrics.smppPdus.inc({ command, status: label, direction });
  }
}
