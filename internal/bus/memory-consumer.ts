import type { DeadLetterSink } from './dead-letter-sink.js';
import { DurableRunner, type Delivery } from './durable-runner.js';
import type { Consumer, DurableHandler, DurableMsg } from './durable-types.js';
import type { ConsumerSeat, MemoryConsumerState } from './memory-consumer-state.js';
import type { StoredMsg } from './memory-stream.js';
import type { BusLogger } from './types.js';

export interface MemoryConsumerOptions {
  label: string;
  nodeId: string;
  logger: BusLogger;
  concurrency: number;
  drainTimeoutMs: number;
  handlerRetryMs?: number;
  deadLetter?: DeadLetterSink;
}

/**
 * One node's consumption of a shared durable (MemoryConsumerState): takes as many messages
 * as it has free handler slots, runs them through the DurableRunner, and sends outcomes back
 * to the shared state. kill() plays a node that died: nothing more is acknowledged, so its
 * messages come back only when their ack wait ends.
 */
export class MemoryConsumer implements Consumer, ConsumerSeat {
  readonly #state: MemoryConsumerState;
  readonly #runner: DurableRunner;
  readonly #opts: MemoryConsumerOptions;
  /** Taken from the state but not yet started (delivery is asynchronous, like the network). */
  #reserved = 0;
  #stopping?: Promise<void>;
  #dead = false;

  constructor(state: MemoryConsumerState, handler: DurableHandler, opts: MemoryConsumerOptions) {
    this.#state = state;
    this.#opts = opts;
    this.#runner = new DurableRunner(handler, {
      concurrency: opts.concurrency,
      maxDeliver: state.limits.maxDeliver,
      deadLetter: opts.deadLetter,
      label: opts.label,
      nodeId: opts.nodeId,
      logger: opts.logger,
      onFree: () => this.#state.dispatch(),
      handlerRetryMs: opts.handlerRetryMs,
    });
  }

  start(): void {
    this.#state.attach(this);
  }

  room(): number {
    return this.#stopping || this.#dead ? 0 : this.#runner.free - this.#reserved;
  }

  take(stored: StoredMsg, deliveryCount: number): void {
    this.#reserved++;
    const d = this.#delivery(stored, deliveryCount);
    setImmediate(() => {
      this.#reserved--;
      if (this.#dead) return;
      if (this.#stopping) this.#runner.giveBack(d);
      else this.#runner.run(d);
    });
  }

  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  /** The node died: stop at once, acknowledge nothing (not even what is running). */
  kill(): void {
    this.#dead = true;
    this.#state.detach(this);
    this.#runner.abandon();
    this.#stopping ??= Promise.resolve();
  }

  async #stop(): Promise<void> {
    this.#state.detach(this);
    await this.#runner.drain(Date.now() + this.#opts.drainTimeoutMs);
    // Deliveries still in transit are given back when they land (see take()).
    await new Promise<void>((r) => setImmediate(r));
  }

  #delivery(stored: StoredMsg, deliveryCount: number): Delivery {
    const { seq } = stored;
    const state = this.#state;
    const alive = (): boolean => !this.#dead;
    const msg: DurableMsg = {
      subject: stored.subject,
      data: stored.data.slice(),
      deliveryCount,
      seq,
      working: () => alive() && state.working(seq),
    };
    return {
      msg,
      ack: () => alive() && state.ack(seq),
      nak: (delayMs) => alive() && state.nak(seq, delayMs),
      term: () => alive() && state.term(seq),
    };
  }
}
