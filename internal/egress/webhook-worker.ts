import { webhookJobCodec, type BatchWebhookJob, type WebhookJob } from '../../proto/delivery.js';
import type { Egress } from '../../proto/message.js';
import type { StatusEvent } from '../../proto/status.js';
import type { Subjects } from '../../proto/subjects.js';
import { ack, maxDeliverFor, backoffDelay, retry, term, type Bus, type Consumer, type DurableMsg, type Outcome } from '../bus/index.js';
import { ErrorCode } from '../errors/index.js';
import { LogEvent, type Logger } from '../log/index.js';
import type { MediaStore } from '../media/index.js';
import type { Metrics } from '../metrics/index.js';
import type { LegContext, RecordWriter } from '../records/index.js';
import { statusWebhookUrl, type FailureReporter, type SentRecorder } from '../router/index.js';
import type { ClientDetails } from '../store/index.js';
import { KeepAlivePool } from '../carriers/index.js';
import type { IngressFirst } from './ingress-first.js';
import { inlineMedia } from './webhook-media.js';
import { messagePayload, statusPayload } from './webhook-payloads.js';
import { postWebhook } from './webhook-sender.js';

/** WEBHOOK_* settings; a client's own webhook_retries / webhook_timeout_secs win when > 0. */
export interface WebhookWorkerOptions {
  subjects: Subjects;
  retries: number;
  timeoutMs: number;
  retryDelayMs: number;
  /** WEBHOOK_MEDIA_BASE64_MAX_BYTES: media bytes of one message inlined in a generic webhook (0: none). */
  mediaBase64MaxBytes: number;
  concurrency?: number;
  /**
   * BUS_MAX_DELIVER (WEBHOOK_RETRIES added when larger). A client's own webhook_retries beyond
   * it are cut to it: the message is then dead-lettered and reported failed. Default DEFAULT_MAX_DELIVER.
   */
  maxDeliver?: number;
}

export interface WebhookWorkerDeps {
  bus: Bus;
  client(id: number): ClientDetails | undefined;
  records: RecordWriter;
  /** Where the generic format's inlined media are read. */
  media: Pick<MediaStore, 'get'>;
  /** Records a webhook the client took; never asks for a post to be repeated. */
  sent: SentRecorder;
  legs: LegContext;
  failures: FailureReporter;
  logger: Logger;
  metrics: Metrics;
  fetch?: typeof fetch;
  /** The node's ingress-first gate: posts yield to ingress while callers wait (ingress-first.ts). */
  ingressFirst?: IngressFirst;
  /**
   * The body of a batch's completion webhook (internal/batch), read when it is posted;
   * undefined when the job is gone. Without it batch webhooks are dropped.
   */
  batchReport?: (batchId: string) => Promise<unknown>;
}

const MAX_RETRY_DELAY_MS = 5 * 60_000;

/**
 * Webhook egress: one durable consumer of msg.out.webhook.* shared by every node. Posts
 * messages and status events to web clients, retries with exponential backoff, and once the
 * retries are spent marks the message failed and tells its sender.
 */
export class WebhookWorker {
  #consumer?: Consumer;
  readonly #abort = new AbortController();
  /** Keep-alive connections to the clients' webhook hosts. */
  readonly #pool = new KeepAlivePool();

  constructor(
    private readonly options: WebhookWorkerOptions,
    private readonly deps: WebhookWorkerDeps,
  ) {}

  async start(): Promise<void> {
    const s = this.options.subjects;
    this.#consumer = await this.deps.bus.consume(
      {
        stream: s.streams.webhook,
        durable: 'webhook',
        filterSubject: s.msgOutWebhookAll,
        ackWaitMs: this.options.timeoutMs + 30_000,
        maxAckPending: 4096,
        maxDeliver: maxDeliverFor(this.options.maxDeliver, this.options.retries),
        deadLetterSubject: s.deadLetter(s.streams.webhook),
      },
      (msg) => this.handle(msg),
      { concurrency: this.options.concurrency ?? 128 },
    );
  }

  async stop(): Promise<void> {
    const stopping = this.#consumer?.stop();
    this.#abort.abort();
    await stopping;
    this.#pool.close();
  }

  async handle(msg: DurableMsg): Promise<Outcome> {
    let job: WebhookJob;
    try {
      job = webhookJobCodec.decode(msg.data);
    } catch (err) {
      this.deps.logger.error({ err }, 'dropping an undecodable webhook job');
      return term('undecodable');
    }
    if (job.kind === 'batch') return this.deliverBatch(msg, job);
    // Posted by this node, not yet recorded (database and bus were down): record, never repost.
    const sentHere = job.kind === 'message' ? this.deps.sent.sentHere(job.egress.message.id) : undefined;
    if (sentHere) return this.deps.sent.recorded(sentHere);
    const clientId = job.kind === 'status' ? job.clientId : (job.egress.receiverClientId ?? 0);
    const client = this.deps.client(clientId);
    if (!client) {
      if (job.kind === 'message') await this.fail(job.egress, `client ${clientId} no longer exists`);
      return term('client gone');
    }
    const deliver = () =>
      job.kind === 'message' ? this.deliverMessage(msg, job.egress, client) : this.deliverStatus(msg, job.event, client);
    return this.deps.ingressFirst ? this.deps.ingressFirst.run(msg, deliver) : deliver();
  }

  private async deliverMessage(msg: DurableMsg, egress: Egress, client: ClientDetails): Promise<Outcome> {
    const route = egress.route;
    const url = route.kind === 'webhook' ? route.url : '';
    const format = client.settings?.apiFormat ?? 'generic';
    // Read on every attempt, not kept between them: a retry holds nothing while it waits.
    const inline =
      format === 'generic' ? await inlineMedia(egress.message.media, this.deps.media, this.options.mediaBase64MaxBytes) : undefined;
    const result = await this.post(url, messagePayload(format, egress, client, inline), client);
    if (result.ok) return this.deps.sent.recorded({ v: 1, egress, status: 'delivered', reportDelivered: false });
    if (msg.deliveryCount <= this.retries(client)) return retry(this.delay(msg.deliveryCount));
    await this.fail(egress, `webhook ${url} failed after ${msg.deliveryCount} attempts: ${result.error}`);
    return term('webhook retries exhausted');
  }

  private async deliverStatus(msg: DurableMsg, event: StatusEvent, client: ClientDetails): Promise<Outcome> {
    const format = client.settings?.apiFormat ?? 'generic';
    const url = statusWebhookUrl(client, event.from);
    const body = url ? statusPayload(format, event) : undefined;
    if (body === undefined) return ack;
    const result = await this.post(url, body, client);
    if (result.ok) return ack;
    if (msg.deliveryCount <= this.retries(client)) return retry(this.delay(msg.deliveryCount));
    this.deps.logger.warn({ client: client.username, messageId: event.messageId, error: result.error }, 'status webhook given up');
    return term('status webhook retries exhausted');
  }

  /**
   * A batch's completion webhook, retried like a status webhook (upstream posted once). Its URL
   * came with the batch request, which an API key may make: it is signed, but never given the
   * client's credentials (upstream sent none either).
   */
  private async deliverBatch(msg: DurableMsg, job: BatchWebhookJob): Promise<Outcome> {
    const client = this.deps.client(job.clientId);
    const body = client ? await this.deps.batchReport?.(job.batchId) : undefined;
    if (!client || body === undefined) return term('batch or client gone');
    const result = await this.post(job.url, body, client, false);
    if (result.ok) return ack;
    if (msg.deliveryCount <= this.retries(client)) return retry(this.delay(msg.deliveryCount));
    this.deps.logger.warn({ client: client.username, batchId: job.batchId, error: result.error }, 'batch webhook given up');
    return term('batch webhook retries exhausted');
  }

  private async post(url: string, body: unknown, client: ClientDetails, credentials = true) {
    const started = performance.now();
    const timeoutSecs = client.settings?.webhookTimeoutSecs ?? 0;
    const result = await postWebhook(url, body, client, {
      credentials,
      timeoutMs: timeoutSecs > 0 ? timeoutSecs * 1000 : this.options.timeoutMs,
      signal: this.#abort.signal,
      fetch: this.deps.fetch,
      http: this.deps.fetch ? undefined : this.#pool.request,
    });
    this.deps.metrics.egressLatency.observe({ protocol: 'webhook', carrier: '' }, (performance.now() - started) / 1000);
    this.deps.metrics.egress.inc({ protocol: 'webhook', carrier: '', result: result.ok ? 'ok' : 'retry' });
    if (!result.ok)
      this.deps.logger.info({ event: LogEvent.WebhookResponseError, client: client.username, url, error: result.error }, 'webhook failed');
    return result;
  }

  private retries(client: ClientDetails): number {
    const own = client.settings?.webhookRetries ?? 0;
    return own > 0 ? own : this.options.retries;
  }

  private delay(attempt: number): number {
    return backoffDelay(attempt, this.options.retryDelayMs, MAX_RETRY_DELAY_MS);
  }

  private async fail(egress: Egress, reason: string): Promise<void> {
    this.deps.metrics.egress.inc({ protocol: 'webhook', carrier: '', result: 'failed' });
    await this.deps.failures.report({
      egress,
      message: egress.message,
      senderClientId: egress.senderClientId,
      code: ErrorCode.UNAVAILABLE,
      reason,
    });
  }
}
