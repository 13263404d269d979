import { transcodeJobCodec, type TranscodeJob } from '../../proto/media.js';
import type { Egress } from '../../proto/message.js';
import type { Subjects } from '../../proto/subjects.js';
import { ack, maxDeliverFor, backoffDelay, retry, term, type Bus, type Consumer, type DurableMsg, type Outcome } from '../bus/index.js';
import { ErrorCode, ForbiddenError, GatewayError, NotFoundError, PayloadTooLargeError, ValidationError } from '../errors/index.js';
import { LogEvent, type Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { MediaDetour } from './detour.js';
import type { MediaPreparer } from './prepare.js';

/** Fetch failures and other passing trouble are retried this many times before the sender is told. */
const MAX_ATTEMPTS = 5;
const RETRY_BASE_MS = 2_000;
const RETRY_MAX_MS = 60_000;
/** Room past the job's own limits (downloads, transcoding) before the bus redelivers it elsewhere. */
const ACK_MARGIN_MS = 30_000;

export interface TranscodeWorkerOptions {
  subjects: Subjects;
  /** TRANSCODE_CONCURRENCY: jobs at once on this node. */
  concurrency: number;
  /** TRANSCODE_TIMEOUT_SECS: one message's transcoding, all parts together. */
  timeoutMs: number;
  fetchTimeoutMs: number;
  /** BUS_MAX_DELIVER: deliveries before a job is dead-lettered. Default DEFAULT_MAX_DELIVER. */
  maxDeliver?: number;
}

/** Why a message could not get its media; reported to the sender. */
export interface MediaFailure {
  egress: Egress;
  code: string;
  reason: string;
}

export interface TranscodeWorkerDeps {
  bus: Bus;
  preparer: Pick<MediaPreparer, 'prepare'>;
  detour: Pick<MediaDetour, 'limitFor'>;
  /** Publishes the prepared message to its egress subject (router publishEgress, without the detour). */
  publish(egress: Egress, dedupKey: string): Promise<void>;
  /** Tells the sender the message failed (router FailureReporter). */
  fail(failure: MediaFailure): Promise<void>;
  logger: Logger;
  metrics: Pick<Metrics, 'transcodeJobs' | 'transcodeFailures' | 'transcodeDuration'>;
}

/**
 * The transcode workers: one durable consumer of media.transcode shared by every node, a
 * bounded number of jobs at once per node. sharp runs on libuv's thread pool and ffmpeg in
 * its own process, so the event loop only waits. Each job fetches and fits its message's
 * media (MediaPreparer), then publishes the message on to its egress, deduplicated as a
 * direct route would be; a part that cannot be fetched or made to fit fails the message and
 * the sender is told why, never a silent drop.
 */
export class TranscodeWorker {
  #consumer?: Consumer;
  readonly #abort = new AbortController();

  constructor(
    private readonly options: TranscodeWorkerOptions,
    private readonly deps: TranscodeWorkerDeps,
  ) {}

  async start(): Promise<void> {
    const s = this.options.subjects;
    this.#consumer = await this.deps.bus.consume(
      {
        stream: s.streams.media,
        durable: 'media-transcode',
        filterSubject: s.mediaTranscode,
        ackWaitMs: this.options.timeoutMs + this.options.fetchTimeoutMs + ACK_MARGIN_MS,
        maxAckPending: this.options.concurrency * 16,
        maxDeliver: maxDeliverFor(this.options.maxDeliver, MAX_ATTEMPTS),
        deadLetterSubject: s.deadLetter(s.streams.media),
      },
      (msg) => this.handle(msg),
      { concurrency: this.options.concurrency },
    );
  }

  async stop(): Promise<void> {
    const stopping = this.#consumer?.stop();
    // Running ffmpeg processes are killed; their jobs go back to the stream for another node.
    this.#abort.abort();
    await stopping;
  }

  async handle(msg: DurableMsg): Promise<Outcome> {
    let job: TranscodeJob;
    try {
      job = transcodeJobCodec.decode(msg.data);
    } catch (err) {
      this.deps.logger.error({ err }, 'dropping an undecodable transcode job');
      return term('undecodable');
    }
    const started = performance.now();
    const limit = AbortSignal.timeout(this.options.timeoutMs);
    let outcome: Outcome;
    try {
      const egress = await this.prepare(job.egress, AbortSignal.any([this.#abort.signal, limit]));
      await this.deps.publish(egress, job.dedupKey);
      this.deps.logger.debug({ event: LogEvent.TranscodeSuccess, id: job.egress.message.id }, 'media prepared');
      outcome = ack;
    } catch (err) {
      outcome = await this.onError(msg, job.egress, err, limit);
    }
    this.count(outcome, started);
    return outcome;
  }

  /** A retry(0) is a stopping node giving the job back: not a result of the job. */
  private count(outcome: Outcome, started: number): void {
    const result = outcome.kind === 'ack' ? 'ok' : outcome.kind === 'term' ? 'failed' : 'retry';
    if (this.#abort.signal.aborted) return;
    this.deps.metrics.transcodeJobs.inc({ result });
    this.deps.metrics.transcodeDuration.observe({ result }, (performance.now() - started) / 1000);
  }

  private async prepare(egress: Egress, signal: AbortSignal): Promise<Egress> {
    const route = egress.route;
    const limit = route.kind === 'carrier' ? this.deps.detour.limitFor(route.carrierId, route.carrierName) : undefined;
    const media = await this.deps.preparer.prepare(egress.message, limit, signal);
    return { ...egress, message: { ...egress.message, media } };
  }

  private async onError(msg: DurableMsg, egress: Egress, err: unknown, limit: AbortSignal): Promise<Outcome> {
    const id = egress.message.id;
    if (this.#abort.signal.aborted) return retry(0);
    if (limit.aborted) {
      return this.failFor(
        egress,
        ErrorCode.PAYLOAD_TOO_LARGE,
        `the MMS media could not be transcoded within ${Math.round(this.options.timeoutMs / 1000)} s`,
      );
    }
    if (isFinal(err)) return this.failFor(egress, err.code, err.message);
    if (msg.deliveryCount < MAX_ATTEMPTS) {
      this.deps.logger.info(
        { event: LogEvent.TranscodeError, err, id, attempt: msg.deliveryCount },
        'media preparation failed; will retry',
      );
      return retry(backoffDelay(msg.deliveryCount, RETRY_BASE_MS, RETRY_MAX_MS));
    }
    const reason = err instanceof GatewayError && err.expose ? err.message : 'the MMS media could not be prepared';
    this.deps.logger.warn({ err, id }, 'media preparation failed for good');
    return this.failFor(egress, err instanceof GatewayError ? err.code : ErrorCode.INTERNAL, reason);
  }

  private async failFor(egress: Egress, code: string, reason: string): Promise<Outcome> {
    this.deps.metrics.transcodeFailures.inc({ code });
    this.deps.logger.warn(
      { event: LogEvent.TranscodeError, id: egress.message.id, code, reason },
      'MMS failed: its media cannot be delivered',
    );
    await this.deps.fail({ egress, code, reason });
    return term('media failed');
  }
}

/** Errors that asking again will not change: too large, unreadable, gone, not ours to fetch. */
function isFinal(err: unknown): err is GatewayError {
  return (
    err instanceof PayloadTooLargeError || err instanceof ValidationError || err instanceof NotFoundError || err instanceof ForbiddenError
  );
}
