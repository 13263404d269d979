import { batchRunCodec } from '../../proto/batch.js';
import { webhookJobCodec } from '../../proto/delivery.js';
import { normalizeE164 } from '../../proto/e164.js';
import { newMessage, type Message } from '../../proto/message.js';
import { ack, retry, term, type Consumer, type DurableMsg, type Outcome } from '../bus/index.js';
import { TokenBucket } from '../egress/index.js';
import { GatewayError, wireStatus } from '../errors/index.js';
import { LogEvent } from '../log/index.js';
import { DEFAULT_MAX_TEXT_CHARS } from '../text/index.js';
import { QuotaRefusedError } from '../quota/index.js';
import type { BatchItem, BatchItemOutcome, BatchJob, ClientDetails } from '../store/index.js';
import { renderText } from './template.js';
import type { BatchDeps, BatchOptions } from './types.js';

/** Default time a worker may go silent before its batch is given to another node. */
export const DEFAULT_BATCH_LEASE_MS = 30_000;
/** Batches one node works on at once by default. */
export const DEFAULT_BATCH_CONCURRENCY = 4;
/**
 * Items claimed, sent and settled together: one progress write and one cancel check each. A
 * chunk is about a second of the job's pace, so progress and a cancel show within a second.
 */
const MAX_CHUNK = 500;
/** Upstream retried quota-held items every 30 s (§15.1 step 4). */
const HOLD_RETRY_MS = 30_000;
const MIN_HOLD_RETRY_MS = 1_000;
/** Sends in flight per batch: one lane per 50 messages a second of its pace, at most this many. */
const MAX_LANES = 128;
const MESSAGES_PER_LANE = 50;
const NO_TEXT = 'no message text (no per-message text and no template)';

/** How a chunk went: the items' outcomes, and the quota refusal that stopped it, if one did. */
interface ChunkResult {
  outcomes: BatchItemOutcome[];
  refused?: QuotaRefusedError;
  /** An error that is not the item's fault (the bus or store is down): the job is retried. */
  fatal?: unknown;
}

/**
 * Runs batches: one durable consumer of batch.run shared by every node, so a batch is worked on
 * by one node at a time and taken over by another when that node dies (its lease, the ack wait,
 * runs out; the worker renews it while it works). Items are claimed from the store in chunks,
 * sent through the node's ingress (the path of POST /messages/send) at the job's pace, and
 * settled with the job's counters; between chunks the job is read again, so a cancel from any
 * node stops it. An item's id is its message id and dedup key, and an item claimed before (by a
 * node that died) is sent only through the ingress's repeat check, so none is sent twice.
 *
 * A quota refusal holds the remaining items back (queued, code 429) and the batch is retried
 * every 30 s, as upstream did, until max_retry_mins; then they fail. The carrier's rate is
 * applied downstream by the carrier's leader (max_rps), not here.
 */
export class BatchWorker {
  #consumer?: Consumer;
  #stopping = false;
  readonly #now: () => number;
  readonly #leaseMs: number;

  constructor(
    private readonly options: BatchOptions,
    private readonly deps: BatchDeps,
  ) {
    this.#now = deps.now ?? Date.now;
    this.#leaseMs = options.leaseMs ?? DEFAULT_BATCH_LEASE_MS;
  }

  async start(): Promise<void> {
    const s = this.options.subjects;
    if (this.options.resumeOnStart) await this.resume();
    this.#consumer = await this.deps.bus.consume(
      // No maxDeliver: a batch waiting out a quota is redelivered every 30 s for up to max_retry_mins.
      { stream: s.streams.batch, durable: 'batch', filterSubject: s.batchRun, ackWaitMs: this.#leaseMs, maxDeliver: 0 },
      (msg) => this.handle(msg),
      { concurrency: this.options.concurrency ?? DEFAULT_BATCH_CONCURRENCY },
    );
  }

  /** Puts every unfinished batch back on the bus (resumeOnStart). */
  private async resume(): Promise<void> {
    const ids = await this.deps.store.unfinished();
    for (const batchId of ids) {
      await this.deps.bus.publishDurable(this.options.subjects.batchRun, batchRunCodec.encode({ v: 1, batchId }), {
        msgId: `batch-${batchId}`,
      });
    }
    if (ids.length > 0) this.deps.logger.info({ batches: ids.length }, 'unfinished batches resumed');
  }

  /** Running batches stop after their chunk and are given back at once, for another node. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#consumer?.stop();
  }

  async handle(msg: DurableMsg): Promise<Outcome> {
    let batchId: string;
    try {
      batchId = batchRunCodec.decode(msg.data).batchId;
    } catch (err) {
      this.deps.logger.error({ err }, 'dropping an undecodable batch job');
      return term('undecodable');
    }
    // The lease is renewed while the batch runs, however slow its pace.
    const renew = setInterval(() => msg.working(), Math.max(100, Math.floor(this.#leaseMs / 3)));
    try {
      return await this.run(batchId);
    } finally {
      clearInterval(renew);
    }
  }

  private async run(batchId: string): Promise<Outcome> {
    const { store } = this.deps;
    const job = await store.begin(batchId);
    if (!job) return ack;
    if (isFinal(job)) return this.announce(job);
    const client = this.deps.client(job.clientId);
    if (!client) {
      await store.expire(batchId, 'client no longer exists');
      return this.complete(batchId);
    }
    if (job.retryUntil && job.retryUntil.getTime() <= this.#now()) {
      await store.expire(batchId, 'retry deadline exceeded');
      return this.complete(batchId);
    }
    return this.sendAll(job, client);
  }

  /**
   * Claims, sends and settles chunk after chunk until none is left, the job is cancelled, or a
   * quota holds it. A chunk's settle, the next claim and the cancel check go to the store together.
   */
  private async sendAll(job: BatchJob, client: ClientDetails): Promise<Outcome> {
    const { store } = this.deps;
    const pace = new TokenBucket(job.throttleRps, Math.max(1, Math.ceil(job.throttleRps / 20)));
    const chunk = Math.min(MAX_CHUNK, job.throttleRps);
    try {
      let items = await store.claim(job.id, -1, chunk);
      while (items.length > 0) {
        if (this.#stopping) return retry(0);
        const result = await this.sendChunk(job, client, items, pace);
        this.count(result);
        if (result.fatal !== undefined || result.refused) {
          await store.settle(job.id, result.outcomes);
          if (result.fatal !== undefined) throw result.fatal;
          return await this.holdBack(job, result.refused!);
        }
        const after = items[items.length - 1]!.index;
        const [, next, now] = await Promise.all([
          store.settle(job.id, result.outcomes),
          store.claim(job.id, after, chunk),
          store.get(job.id),
        ]);
        if (!now || isFinal(now)) return now ? await this.announce(now) : ack;
        items = next;
      }
      return await this.complete(job.id);
    } finally {
      pace.close();
    }
  }

  private count(result: ChunkResult): void {
    const counter = this.deps.metrics?.batchItems;
    if (!counter) return;
    const sent = result.outcomes.filter((o) => o.status === 'sent').length;
    if (sent > 0) counter.inc({ result: 'sent' }, sent);
    if (result.outcomes.length > sent) counter.inc({ result: 'failed' }, result.outcomes.length - sent);
    if (result.refused) counter.inc({ result: 'held' });
  }

  /** Sends `items` in index order over a few lanes, each send waiting for the job's pace. */
  private async sendChunk(job: BatchJob, client: ClientDetails, items: BatchItem[], pace: TokenBucket): Promise<ChunkResult> {
    const result: ChunkResult = { outcomes: [] };
    let next = 0;
    const lane = async () => {
      while (next < items.length && !result.refused && result.fatal === undefined && !this.#stopping) {
        const item = items[next++]!;
        await pace.take();
        await this.sendItem(job, client, item, result);
      }
    };
    const lanes = Math.min(MAX_LANES, Math.max(1, Math.ceil(job.throttleRps / MESSAGES_PER_LANE)));
    await Promise.all(Array.from({ length: lanes }, lane));
    return result;
  }

  private async sendItem(job: BatchJob, client: ClientDetails, item: BatchItem, result: ChunkResult): Promise<void> {
    const fail = (error: string, errorCode: number) => result.outcomes.push({ id: item.id, status: 'failed', error, errorCode });
    const built = this.message(job, client, item);
    if (typeof built === 'string') return void fail(built, 400);
    try {
      await this.deps.ingress('web', built, item.id, item.attempts > 0);
      result.outcomes.push({ id: item.id, status: 'sent', error: '', errorCode: 0 });
    } catch (err) {
      if (err instanceof QuotaRefusedError) result.refused ??= err;
      else if (err instanceof GatewayError && err.expose && wireStatus[err.code].http < 500) fail(err.message, wireStatus[err.code].http);
      else result.fatal ??= err;
    }
  }

  /** The item as a message from the job's number, or why it cannot be one (upstream §15.1 step 3). */
  private message(job: BatchJob, client: ClientDetails, item: BatchItem): Message | string {
    const text = renderText(item.text, job.textTemplate, item.variables);
    if (text.trim() === '') return NO_TEXT;
    const to = normalizeE164(item.to);
    if (to === null) return `invalid destination number: ${item.to}`;
    const max = this.options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
    const length = [...text].length;
    if (length > max) return `text is too long: ${length} characters, at most ${max}`;
    const from = normalizeE164(job.fromNumber) ?? job.fromNumber;
    return newMessage({
      id: item.id,
      type: 'sms',
      from,
      to,
      text,
      origin: { kind: 'web', clientId: client.id, node: this.options.nodeId, batchItemId: item.id },
      receivedAt: this.#now(),
    });
  }

  /** Holds the rest back until the quota allows more; the batch comes back after a while. */
  private async holdBack(job: BatchJob, refused: QuotaRefusedError): Promise<Outcome> {
    const until = new Date(this.#now() + job.maxRetryMins * 60_000);
    await this.deps.store.holdBack(job.id, refused.message, until);
    this.deps.logger.info({ batchId: job.id, reason: refused.message }, 'batch held back by a quota');
    return retry(Math.min(HOLD_RETRY_MS, Math.max(MIN_HOLD_RETRY_MS, refused.retryAfterMs)));
  }

  private async complete(batchId: string): Promise<Outcome> {
    const job = await this.deps.store.finish(batchId);
    if (!job) return ack;
    this.deps.logger.info(
      { event: LogEvent.BatchCompleted, batchId, status: job.status, sent: job.sentCount, failed: job.failedCount },
      'batch finished',
    );
    return this.announce(job);
  }

  /**
   * The completion webhook, through the webhook stream (its retries, any node). Published again
   * on a redelivery of a finished job: its dedup id stores it once.
   */
  private async announce(job: BatchJob): Promise<Outcome> {
    if (!job.webhookUrl) return ack;
    const s = this.options.subjects;
    await this.deps.bus.publishDurable(
      s.msgOutWebhook(job.clientId),
      webhookJobCodec.encode({ v: 1, kind: 'batch', clientId: job.clientId, batchId: job.id, url: job.webhookUrl }),
      { msgId: `batch-done-${job.id}` },
    );
    return ack;
  }
}

function isFinal(job: BatchJob): boolean {
  return job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled';
}
