import type { Consumer as JsConsumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DeadLetterSink } from './dead-letter-sink.js';
import { DurableRunner, type Delivery } from './durable-runner.js';
import type { Consumer, ConsumerSpec, DurableHandler } from './durable-types.js';
import type { BusLogger } from './types.js';

/**
 * How long one pull request waits for messages: the client's minimum, and about the most stop()
 * waits for open requests to end (see NatsConsumer). Longer, up to MAX_FETCH_EXPIRES_MS, only
 * to keep its end away from a retry of this node coming due (see NatsConsumer.#expires).
 */
const FETCH_EXPIRES_MS = 1_000;
const MAX_FETCH_EXPIRES_MS = 3 * FETCH_EXPIRES_MS;
/** A pull request of a node and a delayed nak of that node never end closer than this. */
const EXPIRY_GUARD_MS = 250;
/** A message given back while stopping comes due after every pull this node still has open ended. */
const STOPPING_GIVE_BACK_MS = MAX_FETCH_EXPIRES_MS + EXPIRY_GUARD_MS;
/** Pause before pulling again after a failed pull (consumer gone, heartbeats missed, …). */
const PULL_RETRY_MS = 500;
/** Pull requests open at once per consumer: enough to hide the round trip, few subscriptions. */
const MAX_OPEN_PULLS = 4;

export interface NatsConsumerOptions {
  nodeId: string;
  logger: BusLogger;
  concurrency: number;
  drainTimeoutMs: number;
  handlerRetryMs: number;
  /** (Re)creates the durable; called at start and when it vanished under a running loop. */
  ensure(): Promise<void>;
  deadLetter?: DeadLetterSink;
}

/**
 * One node's share of a durable pull consumer. Pull requests (fetch) ask for no more messages
 * than there are free handler slots, counting what open requests may still bring, so a node
 * never hoards messages whose ack wait is running, and every message starts at once. A new
 * request goes out when a quarter of the slots are free (or none is open), so the round trip
 * overlaps the work, as consume() does; a failed pull (consumer deleted, heartbeats missed)
 * recreates the consumer and pulls again.
 *
 * Why fetch and not consume(): with nats-server 2.9 a pull request still open when the client
 * unsubscribes keeps delivering into the void, and those messages wait out their whole ack
 * wait (measured). stop() therefore lets open requests end (≤ MAX_FETCH_EXPIRES_MS), naks what
 * they still bring, drains running handlers and naks those that outlive the deadline.
 *
 * Why a pull request never ends just when a retry comes due: nats-server 2.9 mishandles a
 * redelivery that comes due while the consumer's only waiting pull request has just expired
 * (loopAndGatherMsgs: it takes the message off the redelivery queue and counts the delivery,
 * finds no valid request, and then rewinds the cursor of *new* messages instead of putting the
 * redelivery back). The message then comes back one ack wait later with its deliveryCount one
 * too high, and the rewound cursor hands it out once more as new (deliveryCount 1) while it is
 * still in flight. A retry nak'd with a delay of whole seconds (a handler that threw: 1 s, 2 s,
 * 4 s, …) is followed at once by the next pull, so without care the delay ends exactly when that
 * pull (or a later one) expires, and CPU load decides which the server handles first (measured:
 * deliveryCounts [1, 3, 1] instead of [1, 2]). So a delayed nak is made to come due away from
 * the end of the pulls already open (#retryDelay), and a new pull to end away from the delayed
 * naks already sent (#expires), by EXPIRY_GUARD_MS. Redeliveries this node did not time (ack
 * waits, other nodes' naks) meet a pull's end only by chance, and rarely all open pulls at once.
 */
export class NatsConsumer implements Consumer {
  readonly #js: JetStreamClient;
  readonly #nc: NatsConnection;
  readonly #spec: ConsumerSpec;
  readonly #opts: NatsConsumerOptions;
  readonly #runner: DurableRunner;
  readonly #label: string;
  /** Free slots that justify another request while one is open. */
  readonly #refillAt: number;
  /** Messages asked for by open requests and not yet received. */
  #requested = 0;
  /** When this node's delayed naks come due (epoch ms, ascending), for #expires. */
  readonly #retriesDue: number[] = [];
  readonly #open = new Map<ConsumerMessages, Promise<void>>();
  /** When each open pull request that may still bring messages expires (epoch ms). */
  readonly #pullEnds = new Map<ConsumerMessages, number>();
  /** The durable's handle, looked up once and again after a failed pull. */
  #consumer?: JsConsumer;
  #failed = false;
  #loop?: Promise<void>;
  #stopping?: Promise<void>;
  #pullsStopped = false;
  #wake?: () => void;

  constructor(js: JetStreamClient, nc: NatsConnection, spec: ConsumerSpec, handler: DurableHandler, opts: NatsConsumerOptions) {
    this.#js = js;
    this.#nc = nc;
    this.#spec = spec;
    this.#opts = opts;
    this.#label = `${spec.stream}/${spec.durable}`;
    this.#refillAt = Math.max(1, Math.ceil(opts.concurrency / 4));
    this.#runner = new DurableRunner(handler, {
      concurrency: opts.concurrency,
      maxDeliver: spec.maxDeliver ?? 0,
      deadLetter: opts.deadLetter,
      label: this.#label,
      nodeId: opts.nodeId,
      logger: opts.logger,
      onFree: () => this.#signal(),
      handlerRetryMs: opts.handlerRetryMs,
    });
  }

  async start(): Promise<void> {
    await this.#opts.ensure();
    this.#loop = this.#run();
  }

  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  /**
   * Asks for no more messages; what open pulls still bring is handled as before. A node shutting
   * down calls this on every consumer at once, so their pulls expire together instead of each
   * stop() waiting out its own in turn.
   */
  stopPulling(): void {
    this.#pullsStopped = true;
    this.#signal();
  }

  async #stop(): Promise<void> {
    const deadline = Date.now() + this.#opts.drainTimeoutMs;
    this.#runner.close();
    this.#signal();
    await Promise.all([this.#endPulls(deadline), this.#runner.drain(deadline)]);
  }

  /** Waits for open pulls to end by themselves; past the deadline, abandons them. */
  async #endPulls(deadline: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), Math.max(0, deadline - Date.now()))));
    const ended = await Promise.race([(this.#loop ?? Promise.resolve()).then(() => 'ended' as const), late]);
    clearTimeout(timer);
    if (ended === 'late') {
      this.#opts.logger.warn({ node: this.#opts.nodeId, consumer: this.#label }, 'bus: pulls did not end before the drain deadline');
      for (const batch of this.#open.keys()) batch.stop();
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopping && !this.#pullsStopped && !this.#nc.isClosed()) {
      if (this.#failed) {
        await this.#recover();
        continue;
      }
      const want = this.#runner.free - this.#requested;
      const pull = want > 0 && this.#open.size < MAX_OPEN_PULLS && (this.#open.size === 0 || want >= this.#refillAt);
      if (!pull) {
        await new Promise<void>((r) => (this.#wake = r));
        continue;
      }
      try {
        this.#consumer ??= await this.#js.consumers.get(this.#spec.stream, this.#spec.durable);
        const now = Date.now();
        const expires = this.#expires(now);
        const batch = await this.#consumer.fetch({ max_messages: want, expires });
        this.#pullEnds.set(batch, now + expires);
        this.#requested += want;
        this.#open.set(batch, this.#take(batch, want));
      } catch (err) {
        this.#fail(err);
      }
    }
    await Promise.allSettled([...this.#open.values()]);
  }

  /** Runs what one pull request brings; gives it back when stopping. */
  async #take(batch: ConsumerMessages, want: number): Promise<void> {
    let got = 0;
    try {
      for await (const m of batch) {
        got++;
        this.#requested--;
        if (got >= want) this.#pullEnds.delete(batch);
        const d = delivery(m, (delayMs) => this.#retryDelay(delayMs));
        if (this.#runner.free > 0) this.#runner.run(d);
        else this.#runner.giveBack(d);
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#requested -= want - got;
      this.#open.delete(batch);
      this.#pullEnds.delete(batch);
      this.#signal();
    }
  }

  #fail(err: unknown): void {
    if (this.#stopping || this.#nc.isClosed()) return;
    if (!this.#failed) this.#opts.logger.warn({ err, node: this.#opts.nodeId, consumer: this.#label }, 'bus: pull failed; pulling again');
    this.#failed = true;
    this.#consumer = undefined;
    this.#signal();
  }

  /** After a failed pull: let the others end, pause, recreate the consumer if it is gone. */
  async #recover(): Promise<void> {
    await Promise.allSettled([...this.#open.values()]);
    if (this.#stopping) return;
    await new Promise<void>((r) => {
      const timer = setTimeout(r, PULL_RETRY_MS);
      this.#wake = () => (clearTimeout(timer), r());
    });
    if (this.#stopping) return;
    await this.#opts.ensure().catch((err: unknown) => {
      this.#opts.logger.warn({ err, node: this.#opts.nodeId, consumer: this.#label }, 'bus: could not recreate the consumer');
    });
    this.#failed = false;
  }

  /**
   * How long the next pull request waits: FETCH_EXPIRES_MS, or longer (at most
   * MAX_FETCH_EXPIRES_MS) when it would end within EXPIRY_GUARD_MS of a delayed nak of this node
   * coming due (see the class comment: nats-server 2.9 loses and duplicates a redelivery that
   * comes due while its only pull request expires).
   */
  #expires(now: number): number {
    const past = this.#retriesDue.findIndex((due) => due > now);
    this.#retriesDue.splice(0, past === -1 ? this.#retriesDue.length : past);
    const end = awayFrom(now + FETCH_EXPIRES_MS, this.#retriesDue);
    return Math.min(end - now, MAX_FETCH_EXPIRES_MS);
  }

  /**
   * The delay to nak with: `delayMs`, or a little longer when the retry would come due within
   * EXPIRY_GUARD_MS of the end of a pull request already open (see the class comment). Notes
   * when it comes due, so that later pulls end away from it (#expires).
   */
  #retryDelay(delayMs: number): number {
    const now = Date.now();
    // Stopping: a message given back now would come straight back into this node's open pulls,
    // be given back again, and so on, a delivery each time, until maxDeliver dead-letters it. One
    // delay for all keeps them in the order they were given back.
    if (this.#stopping) return Math.max(delayMs, STOPPING_GIVE_BACK_MS);
    if (delayMs <= 0) return 0;
    const due = awayFrom(
      now + delayMs,
      [...this.#pullEnds.values()].sort((a, b) => a - b),
    );
    let i = this.#retriesDue.length;
    while (i > 0 && this.#retriesDue[i - 1] > due) i--;
    this.#retriesDue.splice(i, 0, due);
    return due - now;
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/**
 * The first time at or after `at` that is at least EXPIRY_GUARD_MS away from every one of
 * `times` (ascending).
 */
function awayFrom(at: number, times: readonly number[]): number {
  for (const t of times) {
    if (t >= at + EXPIRY_GUARD_MS) break;
    if (t > at - EXPIRY_GUARD_MS) at = t + EXPIRY_GUARD_MS;
  }
  return at;
}

/** `retryDelay` turns the delay a retry asks for into the one to nak with. */
function delivery(m: JsMsg, retryDelay: (delayMs: number) => number): Delivery {
  const info = m.info;
  return {
    msg: {
      subject: m.subject,
      data: m.data,
      deliveryCount: info.deliveryCount,
      seq: info.streamSequence,
      working: () => m.working(),
    },
    ack: () => m.ack(),
    nak: (delayMs) => {
      const delay = retryDelay(delayMs);
      m.nak(delay > 0 ? delay : undefined);
    },
    // nats-server 2.9 ignores "+TERM <reason>" (the message is redelivered), so no reason is sent.
    term: () => m.term(),
  };
}
