/**
 * The two things the `smpp` library lacks for PDUs we send (field-notes §3.1): a window (at most
 * N requests waiting for their response; the N+1st waits for a slot) and a response timeout
 * (a request whose response never comes fails after timeoutMs instead of leaking).
 */
import { SmppSessionClosedError, SmppTimeoutError } from './ports.js';

/** A counting semaphore with a FIFO queue: fair between the egress workers sharing one session. */
export class SendWindow {
  #inFlight = 0;
  #waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  #closed?: Error;

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new RangeError('window size must be at least 1');
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves when a slot is ours; rejects once the window is closed. */
  acquire(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (this.#inFlight < this.size) {
      this.#inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Frees a slot, handing it straight to the longest waiter. */
  release(): void {
    const next = this.#waiters.shift();
    if (next) next.resolve();
    else this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  /** Rejects every waiter with `err` (and every later acquire). */
  close(err: Error): void {
    this.#closed ??= err;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(err);
  }
}

export interface PendingResponse<T> {
  command: string;
  sentAt: number;
  resolve(response: T): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Requests we sent, by sequence number, each with its own response timer. */
export class PendingRequests<T> {
  readonly #pending = new Map<number, PendingResponse<T>>();

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.#pending.size;
  }

  /** Resolves with the response to `sequence`; rejects with SmppTimeoutError after the timeout. */
  wait(sequence: number, command: string, timeoutMs = this.timeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(sequence);
        reject(new SmppTimeoutError(`no response to ${command} #${sequence} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(sequence, { command, sentAt: performance.now(), resolve, reject, timer });
    });
  }

  /** Completes the request `sequence`; undefined when none is waiting (late or unsolicited). */
  settle(sequence: number, response: T): PendingResponse<T> | undefined {
    const entry = this.#pending.get(sequence);
    if (!entry) return undefined;
    this.#pending.delete(sequence);
    clearTimeout(entry.timer);
    entry.resolve(response);
    return entry;
  }

  /** Fails every waiting request (the session ended). */
  failAll(err: Error = new SmppSessionClosedError('session closed')): void {
    for (const [sequence, entry] of this.#pending) {
      clearTimeout(entry.timer);
      entry.reject(err);
      this.#pending.delete(sequence);
    }
  }
}
