import { deadLetterCodec, deadLetterPayload, type DeadLetter } from '../../proto/dead-letter.js';
import { deliveryJobCodec } from '../../proto/delivery.js';
import { ErrorCode } from '../../proto/errors.js';
import { transcodeJobCodec } from '../../proto/media.js';
import { egressCodec, messageCodec, type Egress, type Message } from '../../proto/message.js';
import type { Subjects } from '../../proto/subjects.js';
import { ack, backoffDelay, retry, term, type Bus, type Consumer, type DurableMsg, type KvBucket, type Outcome } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { FailureReporter } from './failures.js';

/** A message id is remembered as reported this long: past the dead letters' own default age. */
const REPORTED_TTL_MS = 15 * 24 * 3600_000;
/** Retry pause when the report cannot be made now (store or bus down): 5 s, doubling to a minute. */
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 60_000;
/**
 * A report that keeps failing is given up (logged; the letter stays listed) after this many
 * deliveries: about 16 hours of a store or bus outage. It has no dead letter of its own.
 */
const MAX_DELIVER = 1000;

export interface DeadLetterReporterOptions {
  subjects: Subjects;
}

export interface DeadLetterReporterDeps {
  bus: Bus;
  failures: Pick<FailureReporter, 'report'>;
  logger: Logger;
  metrics: Metrics;
}

/** What a dead letter means for a sender: the message that will not be delivered, if any. */
interface Lost {
  message: Message;
  egress?: Egress;
  senderClientId?: number;
}

/**
 * Tells senders about messages the bus gave up on: one durable consumer of the dead-letter
 * stream shared by every node. For a letter from a stage that carries a message (ingress,
 * carrier, webhook, SMPP, MM4, media) the sender gets a failed status (receipt or status
 * webhook) and the ledger says failed with the reason, through the FailureReporter. Once per
 * message id (a KV marker, set after the report), so a message dead-lettered again after a
 * replay is not reported twice. Status events and receipts are reports themselves: counted only.
 */
export class DeadLetterReporter {
  #consumer?: Consumer;
  #reported?: KvBucket;

  constructor(
    private readonly options: DeadLetterReporterOptions,
    private readonly deps: DeadLetterReporterDeps,
  ) {}

  async start(): Promise<void> {
    const s = this.options.subjects;
    this.#reported = await this.deps.bus.kv(s.deadLetterReportedBucket, { ttlMs: REPORTED_TTL_MS });
    this.#consumer = await this.deps.bus.consume(
      {
        stream: s.streams.deadLetter,
        durable: 'dead-letter-reporter',
        filterSubject: s.deadLetterAll,
        maxDeliver: MAX_DELIVER,
        maxAckPending: 1024,
      },
      (msg) => this.handle(msg),
      { concurrency: 16 },
    );
  }

  async stop(): Promise<void> {
    await this.#consumer?.stop();
  }

  async handle(msg: DurableMsg): Promise<Outcome> {
    let letter: DeadLetter;
    try {
      letter = deadLetterCodec.decode(msg.data);
    } catch (err) {
      this.deps.logger.error({ err, subject: msg.subject }, 'dead letters: skipping an undecodable letter');
      return term('undecodable');
    }
    if (msg.deliveryCount === 1) this.deps.metrics.deadLetters.inc({ stream: this.stage(letter.stream), reason: letter.reason });
    this.deps.logger.warn(
      {
        stream: letter.stream,
        consumer: letter.consumer,
        subject: letter.subject,
        seq: letter.seq,
        deliveries: letter.deliveries,
        reason: letter.reason,
        detail: letter.detail,
      },
      'dead letters: a message was given up',
    );
    const lost = this.lost(letter);
    if (!lost || lost.senderClientId === undefined) return ack;
    try {
      await this.reportOnce(letter, lost);
      return ack;
    } catch (err) {
      this.deps.logger.warn({ err, id: lost.message.id }, 'dead letters: cannot report the failure yet; will retry');
      return retry(backoffDelay(msg.deliveryCount, RETRY_BASE_MS, RETRY_MAX_MS));
    }
  }

  private async reportOnce(letter: DeadLetter, lost: Lost): Promise<void> {
    const id = lost.message.id;
    const reported = this.#reported as KvBucket;
    if (await reported.get(markerKey(id))) return;
    const why = letter.reason === 'ack_wait' ? 'its last delivery was never answered' : 'every delivery failed';
    await this.deps.failures.report({
      egress: lost.egress,
      message: lost.message,
      senderClientId: lost.senderClientId,
      code: ErrorCode.INTERNAL,
      reason: `given up after ${letter.deliveries} deliveries: ${why}`,
    });
    await reported.create(markerKey(id), String(letter.at));
  }

  /** The message a letter stands for, by the stage it came from; undefined when none (or unreadable). */
  private lost(letter: DeadLetter): Lost | undefined {
    const s = this.options.subjects.streams;
    const data = deadLetterPayload(letter);
    try {
      switch (letter.stream) {
        case s.in: {
          const message = messageCodec.decode(data);
          return { message, senderClientId: message.origin.clientId };
        }
        case s.carrier:
          return fromEgress(egressCodec.decode(data));
        case s.media:
          return fromEgress(transcodeJobCodec.decode(data).egress);
        case s.webhook:
        case s.smpp:
        case s.mm4: {
          const job = deliveryJobCodec.decode(data);
          return job.kind === 'message' ? fromEgress(job.egress) : undefined;
        }
        default:
          return undefined;
      }
    } catch (err) {
      this.deps.logger.error(
        { err, stream: letter.stream, seq: letter.seq },
        'dead letters: the given-up payload is unreadable; nobody to tell',
      );
      return undefined;
    }
  }

  /** The metric label of a stream: its stage's short name, or 'other'. */
  private stage(stream: string): string {
    const found = Object.entries(this.options.subjects.streams).find(([, name]) => name === stream);
    return found ? found[0] : 'other';
  }
}

function fromEgress(egress: Egress): Lost {
  return { message: egress.message, egress, senderClientId: egress.senderClientId };
}

/** KV keys allow [-/_=.a-zA-Z0-9]; message ids are ours (uuid-like) but be safe. */
function markerKey(id: string): string {
  return id.replace(/[^-/_=.a-zA-Z0-9]/g, '_');
}
