/**
 * MM4 egress: delivers msg.out.mm4.<clientId> to legacy clients' SMTP servers — routed MMS as
 * MM4_forward.REQ, and delivery statuses as MM4_delivery_report.REQ when the client asked for
 * them. One durable consumer shared by every node (as webhooks): unlike SMPP binds, any node
 * can reach any client's SMTP server, and a client that is down only holds its own messages
 * (each waits out its retry delay in flight) without blocking the others.
 */
import { randomUUID } from 'node:crypto';
import { deliveryJobCodec, type DeliveryJob } from '../../proto/delivery.js';
import type { Egress, MediaRef } from '../../proto/message.js';
import type { StatusEvent } from '../../proto/status.js';
import type { Subjects } from '../../proto/subjects.js';
import {
  ack,
  maxDeliverFor,
  backoffDelay,
  retry,
  term,
  type Bus,
  type Consumer,
  type DurableMsg,
  type KvBucket,
  type Outcome,
} from '../bus/index.js';
import { ErrorCode } from '../errors/index.js';
import { LogEvent, type Logger } from '../log/index.js';
import type { MediaStore } from '../media/index.js';
import type { Metrics } from '../metrics/index.js';
import type { LegContext, RecordWriter } from '../records/index.js';
import type { FailureReporter, SentRecorder } from '../router/index.js';
import type { ClientDetails } from '../store/index.js';
import { composeDeliveryReport, composeForwardReq, type OutboundPart } from './compose.js';
import { envelopeAddress, plmnAddress } from './headers.js';
import { mm4Endpoint } from './peers.js';
import { SmtpSendError, type RawMail, type SendRaw, type SmtpTarget } from './sender.js';
import { mmStatusFor } from './status-map.js';
import type { ReportRequest } from './types.js';

export interface Mm4EgressOptions {
  subjects: Subjects;
  /** Retries after the first try (MM4_RETRIES). */
  retries: number;
  /** One SMTP delivery, connect to final reply (MM4_TIMEOUT_SECS). */
  timeoutMs: number;
  /** First retry delay; doubles per attempt. Default DEFAULT_MM4_RETRY_DELAY_MS. */
  retryDelayMs?: number;
  originatorSystem: string;
  msgIdHost: string;
  /** EHLO name. */
  name: string;
  concurrency?: number;
  /** BUS_MAX_DELIVER (MM4_RETRIES added when larger). Default DEFAULT_MAX_DELIVER. */
  maxDeliver?: number;
}

export interface Mm4EgressDeps {
  bus: Bus;
  client(id: number): ClientDetails | undefined;
  media: Pick<MediaStore, 'get'>;
  /** Delivery-report requests by gateway message id (subjects.mm4ReportBucket). */
  reports: Pick<KvBucket, 'get'>;
  records: RecordWriter;
  /** Records an MMS the client's server took; never asks for it to be sent again. */
  sent: SentRecorder;
  legs: LegContext;
  failures: FailureReporter;
  send: SendRaw;
  logger: Logger;
  metrics: Metrics;
  /** Fetches media that is a URL rather than a media-store token. */
  fetch?: typeof fetch;
}

export const DEFAULT_MM4_RETRY_DELAY_MS = 5_000;
const MAX_RETRY_DELAY_MS = 5 * 60_000;
/** Media fetched by URL: as much as an MM4 mail may carry. */
const MAX_FETCHED_BYTES = 10 * 1024 * 1024;

/** A job that cannot succeed however often it is tried (no host, media gone). */
class PermanentFailure extends Error {}

export class Mm4Egress {
  #consumer?: Consumer;
  readonly #abort = new AbortController();

  constructor(
    private readonly options: Mm4EgressOptions,
    private readonly deps: Mm4EgressDeps,
  ) {}

  async start(): Promise<void> {
    const s = this.options.subjects;
    this.#consumer = await this.deps.bus.consume(
      {
        stream: s.streams.mm4,
        durable: 'mm4',
        filterSubject: s.msgOutMm4All,
        ackWaitMs: this.options.timeoutMs + 30_000,
        maxAckPending: 1024,
        maxDeliver: maxDeliverFor(this.options.maxDeliver, this.options.retries),
        deadLetterSubject: s.deadLetter(s.streams.mm4),
      },
      (msg) => this.handle(msg),
      { concurrency: this.options.concurrency ?? 32 },
    );
  }

  async stop(): Promise<void> {
    const stopping = this.#consumer?.stop();
    this.#abort.abort();
    await stopping;
  }

  async handle(msg: DurableMsg): Promise<Outcome> {
    let job: DeliveryJob;
    try {
      job = deliveryJobCodec.decode(msg.data);
    } catch (err) {
      this.deps.logger.error({ err }, 'mm4 egress: dropping an undecodable job');
      return term('undecodable');
    }
    // Delivered by this node, not yet recorded (database and bus were down): record, never resend.
    const sentHere = job.kind === 'message' ? this.deps.sent.sentHere(job.egress.message.id) : undefined;
    if (sentHere) return this.deps.sent.recorded(sentHere);
    return job.kind === 'message' ? this.deliverMessage(msg, job.egress) : this.deliverReport(msg, job.clientId, job.event);
  }

  private async deliverMessage(msg: DurableMsg, egress: Egress): Promise<Outcome> {
    const clientId = egress.receiverClientId ?? (egress.route.kind === 'mm4' ? egress.route.clientId : 0);
    const client = this.deps.client(clientId);
    try {
      if (!client) throw new PermanentFailure(`client ${clientId} no longer exists`);
      const target = this.endpoint(client);
      const m = egress.message;
      const parts = await this.loadParts(m.media);
      const raw = composeForwardReq({
        id: m.id,
        msgIdHost: this.options.msgIdHost,
        from: m.from,
        to: m.to,
        originatorSystem: this.options.originatorSystem,
        text: m.text,
        parts,
      });
      await this.send(target, { from: envelopeAddress(m.from, this.options.msgIdHost), to: envelopeAddress(m.to, target.host), raw });
      this.deps.logger.debug(
        { event: LogEvent.MM4SendSuccess, id: m.id, client: client.username, host: target.host },
        'mm4 egress: MMS delivered',
      );
    } catch (err) {
      return this.messageFailed(msg, egress, err);
    }
    return this.deps.sent.recorded({ v: 1, egress, status: 'delivered', reportDelivered: true });
  }

  private async messageFailed(msg: DurableMsg, egress: Egress, err: unknown): Promise<Outcome> {
    const permanent = err instanceof PermanentFailure || (err instanceof SmtpSendError && err.permanent);
    const reason = err instanceof Error ? err.message : String(err);
    if (!permanent && msg.deliveryCount <= this.options.retries) {
      this.deps.logger.info({ id: egress.message.id, attempt: msg.deliveryCount, reason }, 'mm4 egress: will retry');
      return retry(this.delay(msg.deliveryCount));
    }
    this.deps.metrics.egress.inc({ protocol: 'mm4', carrier: '', result: 'failed' });
    await this.deps.failures.report({
      egress,
      message: egress.message,
      senderClientId: egress.senderClientId,
      code: ErrorCode.UNAVAILABLE,
      reason: permanent ? reason : `MM4 delivery failed after ${msg.deliveryCount} attempts: ${reason}`,
    });
    return term(permanent ? 'cannot be delivered over MM4' : 'MM4 retries exhausted');
  }

  /**
   * A status for an MMS the client sent: an MM4_delivery_report.REQ naming the client's own
   * message id, only when its request asked for reports and the status is one a report states.
   */
  private async deliverReport(msg: DurableMsg, clientId: number, event: StatusEvent): Promise<Outcome> {
    const client = this.deps.client(clientId);
    const mmStatus = mmStatusFor(event.status);
    if (!client || !mmStatus) return ack;
    const entry = await this.deps.reports.get(event.messageId);
    if (!entry) return ack;
    const request = JSON.parse(entry.value) as ReportRequest;
    try {
      const target = this.endpoint(client);
      const raw = composeDeliveryReport({
        transactionId: randomUUID(),
        messageId: request.mm4MessageId,
        from: plmnAddress(request.to),
        to: request.from,
        sender: this.options.originatorSystem,
        mmStatus,
        statusText: event.errorText,
      });
      const to = envelopeAddress(request.from.split('/', 1)[0]!, target.host);
      await this.send(target, { from: this.options.originatorSystem, to, raw });
      return ack;
    } catch (err) {
      const permanent = err instanceof PermanentFailure || (err instanceof SmtpSendError && err.permanent);
      if (!permanent && msg.deliveryCount <= this.options.retries) return retry(this.delay(msg.deliveryCount));
      this.deps.logger.warn({ err, client: client.username, messageId: event.messageId }, 'mm4 egress: delivery report given up');
      return term('delivery report not delivered');
    }
  }

  private endpoint(client: ClientDetails): SmtpTarget {
    const target = mm4Endpoint(client);
    if (!target) throw new PermanentFailure(`client ${client.username} has no MM4 host in its address`);
    return target;
  }

  private async send(target: SmtpTarget, mail: RawMail): Promise<void> {
    const started = performance.now();
    try {
      await this.deps.send(target, mail, { timeoutMs: this.options.timeoutMs, signal: this.#abort.signal, name: this.options.name });
      this.deps.metrics.egress.inc({ protocol: 'mm4', carrier: '', result: 'ok' });
    } catch (err) {
      this.deps.metrics.egress.inc({ protocol: 'mm4', carrier: '', result: 'retry' });
      throw err;
    } finally {
      this.deps.metrics.egressLatency.observe({ protocol: 'mm4', carrier: '' }, (performance.now() - started) / 1000);
    }
  }

  /** Media bytes by media-store token, else by URL; a token that expired fails the message. */
  private async loadParts(media: readonly MediaRef[]): Promise<OutboundPart[]> {
    const parts: OutboundPart[] = [];
    for (const ref of media) {
      if (ref.contentType.toLowerCase().startsWith('application/smil')) continue;
      const file = ref.token ? await this.deps.media.get(ref.token) : undefined;
      if (file) parts.push({ contentType: file.contentType, filename: file.filename || ref.filename, bytes: file.bytes });
      else if (ref.url) parts.push({ contentType: ref.contentType, filename: ref.filename, bytes: await this.fetchUrl(ref.url) });
      else throw new PermanentFailure(`media ${ref.filename || ref.token || ''} is no longer stored`);
    }
    return parts;
  }

  private async fetchUrl(url: string): Promise<Buffer> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.options.timeoutMs)]);
    const res = await (this.deps.fetch ?? fetch)(url, { signal });
    if (res.status === 404 || res.status === 410) throw new PermanentFailure(`media ${url} is gone (${res.status})`);
    if (!res.ok) throw new Error(`media ${url} answered ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > MAX_FETCHED_BYTES) throw new PermanentFailure(`media ${url} is larger than ${MAX_FETCHED_BYTES} bytes`);
    return bytes;
  }

  private delay(attempt: number): number {
    return backoffDelay(attempt, this.options.retryDelayMs ?? DEFAULT_MM4_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS);
  }
}
