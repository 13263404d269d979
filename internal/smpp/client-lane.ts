/**
 * One client's deliver_sm egress on this node: consumes msg.out.smpp.<client> while the node
 * holds at least one of the client's receiving sessions, with laneConcurrency() jobs at once,
 * and stops when the last session goes (jobs in flight finish or go back to the stream for
 * another node or the next bind).
 */
import type { ConsumerSpec, Consumer } from '../bus/index.js';
import type { Subjects } from '../../proto/subjects.js';
import type { Logger } from '../log/index.js';
import type { SessionPool } from './session-pool.js';

/** A job's deliver_sm may each wait this long for an answer; the ack wait adds this margin. */
const ACK_WAIT_MARGIN_MS = 30_000;
/**
 * Jobs in flight for one client across every node, those waiting out a retry delay included.
 * Far above any client's windows, so it never throttles sending, yet it bounds a runaway.
 */
const MAX_ACK_PENDING = 4096;
/**
 * Jobs per session beyond its window. A job holds its window slot only until its deliver_sm is
 * answered; recording it after (the ledger batch, then the ack) takes longer than an ESME's
 * answer, so each session gets this many more jobs than slots and the window, which the session
 * pool enforces, stays full while they record (jobs ≈ rate × (answer + record time)).
 */
export const RECORDING_JOBS_PER_SESSION = 256;

/** Jobs a node runs at once for a client with `sessions` receiving binds of `window` slots each. */
export function laneConcurrency(sessions: number, window: number): number {
  return sessions * (window + RECORDING_JOBS_PER_SESSION);
}
/**
 * Deliveries of one job before it is dead-lettered, when none is configured (SMPP_MAX_DELIVER).
 * Every delivery counts, waits included: a client throttling (each delivery waits up to
 * DEFAULT_THROTTLE_MAX_WAIT_MS), a bind lost mid-job, the queue sweeper's look. Waiting for a
 * bind costs none: with no bind anywhere nothing consumes the queue. 200 covers hours of waits;
 * a failing deliver_sm spends its SMPP_RETRIES within one delivery.
 */
export const DEFAULT_SMPP_MAX_DELIVER = 200;

/**
 * The durable consumer of one client's SMPP queue, shared by every node that holds one of the
 * client's binds (and by the queue sweeper): one name per client, so they split the work.
 */
export function smppConsumerSpec(
  subjects: Subjects,
  clientId: number,
  timeoutMs: number,
  maxDeliver = DEFAULT_SMPP_MAX_DELIVER,
): ConsumerSpec {
  return {
    stream: subjects.streams.smpp,
    durable: `smpp-${clientId}`,
    filterSubject: subjects.msgOutSmpp(clientId),
    ackWaitMs: timeoutMs + ACK_WAIT_MARGIN_MS,
    maxAckPending: MAX_ACK_PENDING,
    maxDeliver,
    deadLetterSubject: subjects.deadLetter(subjects.streams.smpp),
  };
}

/** Starts consuming the client's queue with `concurrency` jobs at once on this node. */
export type StartConsumer = (lane: ClientLane, concurrency: number) => Promise<Consumer>;

export class ClientLane {
  #consumer?: Consumer;
  #concurrency = 0;
  #queue: Promise<void> = Promise.resolve();
  /** Consumers replaced or stopped, still finishing their jobs. */
  readonly #retiring = new Set<Promise<void>>();
  #closed = false;

  constructor(
    readonly pool: SessionPool,
    private readonly startConsumer: StartConsumer,
    private readonly logger: Logger,
  ) {}

  get clientId(): number {
    return this.pool.clientId;
  }

  /** Jobs this node may run at once for the client now (0: not consuming). */
  get concurrency(): number {
    return this.#concurrency;
  }

  /**
   * Re-reads the client's sessions and starts, resizes or stops consumption to match. Calls
   * are applied one at a time, in order. A failure (bus down) is logged and left for the next
   * call to repair.
   */
  refresh(): Promise<void> {
    this.pool.changed();
    this.#queue = this.#queue
      .then(() => this.apply())
      .catch((err: unknown) => {
        this.logger.warn({ err, clientId: this.clientId }, "smpp egress: cannot adjust the client's consumer; will retry");
      });
    return this.#queue;
  }

  /** Stops consuming for good and waits for every job in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    this.pool.close();
    await this.refresh();
    await Promise.allSettled([...this.#retiring]);
  }

  private async apply(): Promise<void> {
    const target = this.#closed ? 0 : laneConcurrency(this.pool.sessions().length, this.pool.window);
    if (target === this.#concurrency) return;
    const old = this.#consumer;
    // The new consumer starts before the old one drains, so a second bind adds capacity at once.
    this.#consumer = target > 0 ? await this.startConsumer(this, target) : undefined;
    this.#concurrency = target;
    if (old) this.retire(old);
  }

  private retire(consumer: Consumer): void {
    const stopping = consumer
      .stop()
      .catch((err: unknown) => {
        this.logger.warn({ err, clientId: this.clientId }, 'smpp egress: stopping a consumer failed');
      })
      .finally(() => this.#retiring.delete(stopping));
    this.#retiring.add(stopping);
  }
}
