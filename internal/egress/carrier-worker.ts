import { egressCodec, type Egress } from '../../proto/message.js';
import type { Subjects } from '../../proto/subjects.js';
import { ack, maxDeliverFor, backoffDelay, retry, term, type Bus, type Consumer, type DurableMsg, type Outcome } from '../bus/index.js';
import { effectiveMaxRps, KeepAlivePool, statusCallbackUrl, type CarrierDriver } from '../carriers/index.js';
import { CarrierError, ErrorCode } from '../errors/index.js';
import { LogEvent, type Logger } from '../log/index.js';
import { carrierErrorCode, type Metrics } from '../metrics/index.js';
import type { LegContext, RecordWriter } from '../records/index.js';
import type { FailureReporter, SentRecorder } from '../router/index.js';
import type { Carrier } from '../store/index.js';
import { workingWhile, type IngressFirst } from './ingress-first.js';
import { TokenBucket } from './token-bucket.js';

/**
 * Sends in flight per carrier leader: about two seconds' worth of the carrier's rate (enough to
 * hide API latency), at least a few, at most what one node can usefully hold.
 */
const MIN_CONCURRENCY = 4;
const MAX_CONCURRENCY = 256;
const MAX_RETRY_DELAY_MS = 5 * 60_000;

/** Sends a carrier leader keeps in flight at `maxRps` (and keep-alive sockets to the carrier). */
export function sendConcurrency(maxRps: number): number {
  return Math.min(MAX_CONCURRENCY, Math.max(MIN_CONCURRENCY, Math.ceil(maxRps * 2)));
}

export interface CarrierWorkerOptions {
  carrierId: number;
  subjects: Subjects;
  serverAddress: string;
  /** CARRIER_RETRIES, CARRIER_TIMEOUT_SECS, CARRIER_RETRY_DELAY_SECS. */
  retries: number;
  timeoutMs: number;
  retryDelayMs: number;
  /** BUS_MAX_DELIVER (CARRIER_RETRIES added when larger). Default DEFAULT_MAX_DELIVER. */
  maxDeliver?: number;
}

export interface CarrierWorkerDeps {
  bus: Bus;
  /** The carrier row as the directory has it now (credentials may change at run time). */
  carrier(): Carrier | undefined;
  driver(type: string): CarrierDriver | undefined;
  records: RecordWriter;
  /** Records what the carrier accepted; never asks for a send to be repeated. */
  sent: SentRecorder;
  /** Looked at on redelivery: a leg that already has the carrier's id was sent. */
  sentBefore(messageId: string): Promise<boolean>;
  legs: LegContext;
  failures: FailureReporter;
  logger: Logger;
  metrics: Metrics;
  fetch?: typeof fetch;
  /** The node's ingress-first gate: sends yield to ingress while callers wait (ingress-first.ts). */
  ingressFirst?: IngressFirst;
}

/**
 * One carrier's egress, run only on the node holding its lease: consumes
 * msg.out.carrier.<id>, paces sends to the carrier's rate, records the carrier's id, retries
 * what may succeed later and reports what never will.
 */
export class CarrierWorker {
  #consumer?: Consumer;
  readonly #abort = new AbortController();
  #stopping = false;
  readonly #bucket: TokenBucket;
  readonly #concurrency: number;
  /** This carrier's keep-alive connections (one per send in flight), opened by the leader and closed when it stops. */
  readonly #pool: KeepAlivePool;

  constructor(
    private readonly options: CarrierWorkerOptions,
    private readonly deps: CarrierWorkerDeps,
  ) {
    const row = deps.carrier();
    const maxRps = row ? effectiveMaxRps(row) : 1;
    this.#bucket = new TokenBucket(maxRps);
    this.#concurrency = sendConcurrency(maxRps);
    this.#pool = new KeepAlivePool(this.#concurrency);
  }

  async start(): Promise<void> {
    const s = this.options.subjects;
    const id = this.options.carrierId;
    this.#consumer = await this.deps.bus.consume(
      {
        stream: s.streams.carrier,
        durable: `carrier-${id}`,
        filterSubject: s.msgOutCarrier(id),
        ackWaitMs: this.options.timeoutMs + 15_000,
        maxAckPending: MAX_CONCURRENCY * 4,
        maxDeliver: maxDeliverFor(this.options.maxDeliver, this.options.retries),
        deadLetterSubject: s.deadLetter(s.streams.carrier),
      },
      (msg) => this.handle(msg),
      { concurrency: this.#concurrency },
    );
  }

  /**
   * Sends not yet written are given back at once; sends in flight run on through the consumer's
   * drain and are recorded, since the carrier may already hold them and a retry would send them
   * twice. What outlives the drain was given back by it, and only then is aborted.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#bucket.close();
    await this.#consumer?.stop();
    this.#abort.abort();
    this.#pool.close();
  }

  /** A changed carrier row (e.g. its max_rps). */
  refresh(): void {
    const row = this.deps.carrier();
    if (row) this.#bucket.setRate(effectiveMaxRps(row));
  }

  async handle(msg: DurableMsg): Promise<Outcome> {
    let egress: Egress;
    try {
      egress = egressCodec.decode(msg.data);
    } catch (err) {
      this.deps.logger.error({ err }, 'dropping an undecodable carrier job');
      return term('undecodable');
    }
    // Sent by this node, not yet recorded (database and bus were down): record, never resend.
    const sentHere = this.deps.sent.sentHere(egress.message.id);
    if (sentHere) return this.deps.sent.recorded(sentHere);
    const carrier = this.deps.carrier();
    const driver = carrier && this.deps.driver(carrier.type);
    if (!carrier || !driver) {
      await this.fail(egress, ErrorCode.NO_ROUTE, `carrier ${this.options.carrierId} is no longer configured`);
      return term('carrier gone');
    }
    // A redelivery may follow a send the carrier accepted just before a node died: if our
    // record already holds the carrier's id, sending again would only duplicate it.
    if (msg.deliveryCount > 1 && (await this.deps.sentBefore(egress.message.id))) return ack;
    if (!this.#bucket.tryTake()) await workingWhile(msg, this.#bucket.take());
    const send = () => (this.#stopping ? Promise.resolve(retry(0)) : this.send(msg, egress, carrier, driver));
    return this.deps.ingressFirst ? this.deps.ingressFirst.run(msg, send) : send();
  }

  private async send(msg: DurableMsg, egress: Egress, carrier: Carrier, driver: CarrierDriver): Promise<Outcome> {
    const m = egress.message;
    const started = performance.now();
    const labels = { protocol: 'carrier', carrier: carrier.name };
    let carrierMsgId: string;
    try {
      ({ carrierMsgId } = await driver.send(
        { id: m.id, type: m.type, from: m.from, to: m.to, text: m.text, mediaUrls: m.media.map((p) => p.url ?? '').filter(Boolean) },
        carrier,
        {
          http: this.deps.fetch ? undefined : this.#pool.request,
          fetch: this.deps.fetch,
          signal: this.#abort.signal,
          timeoutMs: this.options.timeoutMs,
          statusCallbackUrl: statusCallbackUrl(this.options.serverAddress, carrier.uuid, m.id),
        },
      ));
    } catch (err) {
      this.countError(carrier, err, started);
      return this.onError(msg, egress, err, carrier);
    }
    this.deps.metrics.egressLatency.observe(labels, (performance.now() - started) / 1000);
    this.deps.metrics.egress.inc({ ...labels, result: 'ok' });
    this.deps.logger.debug(
      { event: LogEvent.SmsSent, id: m.id, type: m.type, carrier: carrier.name, carrierMsgId },
      'carrier accepted the message',
    );
    // The carrier has it: from here on a failure may cost the record's timeliness, never a resend.
    return this.deps.sent.recorded({ v: 1, egress, status: 'sent', carrierMsgId, reportDelivered: false });
  }

  /** Failed attempts count in the latency histogram too: a carrier timing out is slow, not absent. */
  private countError(carrier: Carrier, err: unknown, started: number): void {
    if (this.#abort.signal.aborted) return;
    this.deps.metrics.egressLatency.observe({ protocol: 'carrier', carrier: carrier.name }, (performance.now() - started) / 1000);
    const code = carrierErrorCode(err instanceof CarrierError ? err : { retryable: false });
    this.deps.metrics.carrierErrors.inc({ carrier: carrier.name, code });
  }

  private async onError(msg: DurableMsg, egress: Egress, err: unknown, carrier: Carrier): Promise<Outcome> {
    const carrierError = err instanceof CarrierError ? err : undefined;
    const retryable = carrierError ? carrierError.retryable : true;
    const labels = { protocol: 'carrier', carrier: carrier.name };
    if (this.#abort.signal.aborted) return retry(0);
    if (retryable && msg.deliveryCount <= this.options.retries) {
      this.deps.metrics.egress.inc({ ...labels, result: 'retry' });
      this.deps.logger.info({ err, id: egress.message.id, attempt: msg.deliveryCount }, 'carrier send failed; will retry');
      return retry(backoffDelay(msg.deliveryCount, this.options.retryDelayMs, MAX_RETRY_DELAY_MS));
    }
    this.deps.metrics.egress.inc({ ...labels, result: 'failed' });
    const reason = `${carrier.name}: ${(err as Error).message}`;
    const event = carrierError?.optOut ? LogEvent.BlockedByStop : undefined;
    this.deps.logger.warn({ event, id: egress.message.id, reason, attempts: msg.deliveryCount }, 'carrier send failed for good');
    await this.fail(egress, carrierError?.carrierCode ?? ErrorCode.CARRIER, reason, carrierError?.optOut);
    return term('carrier refused');
  }

  private async fail(egress: Egress, code: string, reason: string, optOut = false): Promise<void> {
    await this.deps.failures.report({ egress, message: egress.message, senderClientId: egress.senderClientId, code, reason, optOut });
  }
}
