/**
 * Ingress first: while many callers wait on this node's ingress (an SMPP window, REST requests,
 * an MMSC), the node's carrier and webhook sends, which nobody is waiting on, yield the CPU to
 * them. The messages they would send are stored already; they go a little later, and at once
 * when the burst ends.
 *
 * Why: at saturation one event loop serves both. Every send taken while callers wait makes each
 * acknowledgement later; an SMPP client with a full window then simply submits slower, and the
 * carrier does not get its messages any sooner over the whole burst, since the CPU per message is
 * the same in either order (docs/decisions.md, "Ingress first").
 *
 * How: ingress counts the messages it is storing (enter/leave). When that count reaches `busyAt`
 * the node is busy, until it falls to `idleAt`. While busy, at most `floor` sends run at once on
 * this node; the others wait for a slot (run), so the drain slows but never stops.
 */
import type { DurableMsg } from '../bus/index.js';

/** A job waiting its turn (a send token, a slot) tells the bus it is alive this often (its ack wait is longer). */
const WAITING_HEARTBEAT_MS = 10_000;

export interface IngressFirstOptions {
  /** Ingress messages in flight at which the node counts as busy; 0 turns yielding off. */
  busyAt: number;
  /** ...and at which it stops being busy again (below busyAt, so it does not flap). */
  idleAt: number;
  /** Sends that still run at once while busy. */
  floor: number;
}

export class IngressFirst {
  #ingress = 0;
  #busy = false;
  #sends = 0;
  readonly #waiting: Array<() => void> = [];

  /** `onBusy`: told when the node starts and stops yielding (a gauge). */
  constructor(
    private readonly options: IngressFirstOptions,
    private readonly onBusy: (busy: boolean) => void = () => undefined,
  ) {}

  /** True while callers wait on enough ingress that sends are held to the floor. */
  get busy(): boolean {
    return this.#busy;
  }

  /** An ingress message started being stored. */
  enter(): void {
    this.#ingress += 1;
    if (!this.#busy && this.options.busyAt > 0 && this.#ingress >= this.options.busyAt) {
      this.#busy = true;
      this.onBusy(true);
    }
  }

  /** ...and is stored (or refused). */
  leave(): void {
    this.#ingress -= 1;
    if (this.#busy && this.#ingress <= this.options.idleAt) {
      this.#busy = false;
      this.onBusy(false);
      this.#wake();
    }
  }

  /** Runs `send` in a slot, `msg` kept alive on the bus while it waits for one. */
  async run<T>(msg: DurableMsg, send: () => Promise<T>): Promise<T> {
    const turn = this.#slot();
    if (turn) await workingWhile(msg, turn);
    try {
      return await send();
    } finally {
      this.#sends -= 1;
      this.#wake();
    }
  }

  /** Whether another send may start now: always while quiet, up to the floor while busy. */
  #mayStart(): boolean {
    return !this.#busy || this.#sends < this.options.floor;
  }

  /** Takes a slot at once (undefined), or resolves when #wake gives one. */
  #slot(): Promise<void> | undefined {
    if (this.#mayStart()) {
      this.#sends += 1;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #wake(): void {
    while (this.#waiting.length > 0 && this.#mayStart()) {
      this.#sends += 1;
      this.#waiting.shift()!();
    }
  }
}

/** Waits for `ready` (a send token, a slot), telling the bus meanwhile that `msg` is being worked on. */
export async function workingWhile(msg: DurableMsg, ready: Promise<void>): Promise<void> {
  const heartbeat = setInterval(() => msg.working(), WAITING_HEARTBEAT_MS);
  try {
    await ready;
  } finally {
    clearInterval(heartbeat);
  }
}
