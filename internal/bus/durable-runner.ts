import { HANDLER_ERROR_RETRY_MAX_MS, HANDLER_ERROR_RETRY_MS, type DurableHandler, type DurableMsg, type Outcome } from './durable-types.js';
import { DeadLetterReason } from '../../proto/dead-letter.js';
import type { DeadLetterSink } from './dead-letter-sink.js';
import type { BusLogger } from './types.js';

/** One delivery of a durable message, with the acknowledgements its transport offers. */
export interface Delivery {
  readonly msg: DurableMsg;
  ack(): void;
  /** Redeliver after `delayMs` (0: at once). */
  nak(delayMs: number): void;
  /** Never redeliver. */
  term(): void;
}

export interface DurableRunnerOptions {
  /** Handlers running at once. */
  concurrency: number;
  /**
   * The consumer's maxDeliver (0 = unlimited): a retry (or a throw) on the last delivery gives
   * the message up: into `deadLetter` when set, then term.
   */
  maxDeliver: number;
  deadLetter?: DeadLetterSink;
  /** For log lines: `stream/durable`. */
  label: string;
  nodeId: string;
  logger: BusLogger;
  /** Called each time a handler finishes and its slot is free again. */
  onFree?: () => void;
  /** First retry delay after a handler threw, doubling per delivery (default HANDLER_ERROR_RETRY_MS). */
  handlerRetryMs?: number;
}

/**
 * Runs a durable handler over deliveries with bounded concurrency and applies each Outcome,
 * so transports only fetch and acknowledge. Shared by NatsBus and MemoryBus, which is what
 * makes their retry, maxDeliver and drain behaviour identical.
 */
export class DurableRunner {
  readonly #handler: DurableHandler;
  readonly #opts: DurableRunnerOptions;
  /** Deliveries whose handler is running, with the promise that settles when it is done. */
  readonly #running = new Map<Delivery, Promise<void>>();
  /** Deliveries given back (nak) at stop while their handler still ran: their outcome is dropped. */
  readonly #released = new Set<Delivery>();
  #waiters: Array<(ok: boolean) => void> = [];
  #closed = false;

  constructor(handler: DurableHandler, opts: DurableRunnerOptions) {
    this.#handler = handler;
    this.#opts = opts;
  }

  /** Free handler slots. */
  get free(): number {
    return this.#closed ? 0 : Math.max(0, this.#opts.concurrency - this.#running.size);
  }

  /** Resolves true once a slot is free, false when the runner closes first. */
  waitFree(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.free > 0) return Promise.resolve(true);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Runs the handler for `d` in a free slot (the caller checked `free` or awaited waitFree). */
  run(d: Delivery): void {
    const p = this.#handle(d).finally(() => {
      this.#running.delete(d);
      this.#released.delete(d);
      this.#wake();
      this.#opts.onFree?.();
    });
    this.#running.set(d, p);
  }

  /** Gives a delivery back at once without running it (it arrived while stopping). */
  giveBack(d: Delivery): void {
    this.#safely(d, 'nak', () => d.nak(0));
  }

  /** Stops taking work: pending waitFree() calls resolve false. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w(false);
  }

  /**
   * Closes, waits until `deadline` (epoch ms) for running handlers to finish and have their
   * outcome applied, then gives back (nak, no delay) those still running, so another node
   * gets them at once. Their eventual outcome is dropped.
   */
  async drain(deadline: number): Promise<void> {
    this.close();
    while (this.#running.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, left)));
      await Promise.race([Promise.allSettled([...this.#running.values()]), timeout]);
      clearTimeout(timer);
    }
    const stuck = [...this.#running.keys()].filter((d) => !this.#released.has(d));
    if (stuck.length) {
      this.#opts.logger.warn(
        { node: this.#opts.nodeId, consumer: this.#opts.label, stuck: stuck.length },
        'bus: handlers outlived the drain; messages given back',
      );
    }
    for (const d of stuck) {
      this.#released.add(d);
      this.giveBack(d);
    }
  }

  /** Forgets running handlers without acknowledging anything (the node is presumed dead). */
  abandon(): void {
    this.close();
    for (const d of this.#running.keys()) this.#released.add(d);
  }

  async #handle(d: Delivery): Promise<void> {
    let outcome: Outcome;
    let failure: string | undefined;
    try {
      outcome = await this.#handler(d.msg);
    } catch (err) {
      const firstMs = this.#opts.handlerRetryMs ?? HANDLER_ERROR_RETRY_MS;
      const delayMs = Math.min(firstMs * 2 ** (d.msg.deliveryCount - 1), HANDLER_ERROR_RETRY_MAX_MS);
      this.#opts.logger.error({ err, ...this.#where(d), delayMs }, 'bus: durable handler failed; will retry');
      outcome = { kind: 'retry', delayMs };
      failure = err instanceof Error ? err.message : String(err);
    }
    if (this.#released.has(d)) return;
    if (outcome.kind === 'retry' && this.#last(d)) await this.#giveUp(d, failure);
    else this.#apply(d, outcome);
  }

  #last(d: Delivery): boolean {
    const { maxDeliver } = this.#opts;
    return maxDeliver > 0 && d.msg.deliveryCount >= maxDeliver;
  }

  /**
   * The last delivery asked for more: dead-letter the message, then term it. When the dead
   * letter cannot be stored, nak instead: the message is then past maxDeliver, so the bus's
   * ack-wait path (advisory on JetStream) dead-letters it later, and nothing is lost.
   */
  async #giveUp(d: Delivery, failure: string | undefined): Promise<void> {
    const { deadLetter, maxDeliver } = this.#opts;
    const reason = failure === undefined ? DeadLetterReason.RETRY : DeadLetterReason.ERROR;
    this.#opts.logger.warn({ ...this.#where(d), maxDeliver, reason }, 'bus: last delivery asked for a retry; giving the message up');
    if (deadLetter) {
      const m = d.msg;
      try {
        await deadLetter({ subject: m.subject, seq: m.seq, deliveries: m.deliveryCount, data: m.data }, reason, failure ?? '');
      } catch (err) {
        this.#opts.logger.warn({ err, ...this.#where(d) }, 'bus: could not store the dead letter; left for the ack-wait path');
        if (!this.#released.has(d)) this.#safely(d, 'nak', () => d.nak(0));
        return;
      }
    }
    if (!this.#released.has(d)) this.#safely(d, 'term', () => d.term());
  }

  #apply(d: Delivery, outcome: Outcome): void {
    switch (outcome.kind) {
      case 'ack':
        return this.#safely(d, 'ack', () => d.ack());
      case 'retry':
        return this.#safely(d, 'nak', () => d.nak(Math.max(0, outcome.delayMs)));
      case 'term':
        this.#opts.logger.info({ ...this.#where(d), reason: outcome.reason }, 'bus: message terminated by its handler');
        return this.#safely(d, 'term', () => d.term());
    }
  }

  /** An acknowledgement that cannot be sent (connection gone) leaves the message to the ack wait. */
  #safely(d: Delivery, what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#opts.logger.warn({ err, ...this.#where(d) }, `bus: could not ${what} a durable message`);
    }
  }

  #where(d: Delivery): object {
    return {
      node: this.#opts.nodeId,
      consumer: this.#opts.label,
      subject: d.msg.subject,
      seq: d.msg.seq,
      deliveryCount: d.msg.deliveryCount,
    };
  }

  #wake(): void {
    if (this.#closed || this.free === 0) return;
    this.#waiters.shift()?.(true);
  }
}
