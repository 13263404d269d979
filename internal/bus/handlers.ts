import type { BusHandler, BusLogger, BusMsg } from './types.js';

/**
 * Runs subscription handlers for one bus: applies the "return bytes to answer" rule, logs
 * failures (a handler error never tears down the subscription), and tracks async handlers so
 * stop() can wait for them.
 */
export class HandlerRunner {
  readonly #inflight = new Set<Promise<void>>();

  constructor(
    private readonly logger: BusLogger,
    private readonly nodeId: string,
  ) {}

  /** Runs `handler`; when it returns bytes for a request, hands them to `answer`. */
  run(handler: BusHandler, msg: BusMsg, answer: (data: Uint8Array) => void): void {
    let out: ReturnType<BusHandler>;
    try {
      out = handler(msg);
    } catch (err) {
      this.#failed(err, msg);
      return;
    }
    if (!(out instanceof Promise)) {
      this.#answer(out, msg, answer);
      return;
    }
    const p = out.then(
      (data) => this.#answer(data, msg, answer),
      (err: unknown) => this.#failed(err, msg),
    );
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  /** Number of async handlers still running. */
  get running(): number {
    return this.#inflight.size;
  }

  /** Waits until every running handler has settled, or `timeoutMs`; returns false on timeout. */
  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inflight.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, left)));
      await Promise.race([Promise.allSettled([...this.#inflight]), timeout]);
      clearTimeout(timer);
    }
    return true;
  }

  #answer(data: void | Uint8Array, msg: BusMsg, answer: (data: Uint8Array) => void): void {
    if (!(data instanceof Uint8Array) || !msg.reply) return;
    try {
      answer(data);
    } catch (err) {
      this.logger.warn({ err, subject: msg.subject, node: this.nodeId }, 'bus: could not send the answer');
    }
  }

  #failed(err: unknown, msg: BusMsg): void {
    this.logger.error({ err, subject: msg.subject, node: this.nodeId }, 'bus: handler failed');
  }
}

/** Used when no logger is given: warnings and errors to stderr, nothing else. */
export function stderrLogger(): BusLogger {
  const write = (level: string) => (obj: object, msg?: string) => {
    const err = (obj as { err?: unknown }).err;
    process.stderr.write(`[bus ${level}] ${msg ?? ''} ${JSON.stringify({ ...obj, err: err === undefined ? undefined : String(err) })}\n`);
  };
  return { info: () => undefined, warn: write('warn'), error: write('error') };
}

/** A promise with its resolver, for closed(). */
export function closedSignal(): { promise: Promise<void | Error>; resolve: (v: void | Error) => void } {
  let resolve!: (v: void | Error) => void;
  const promise = new Promise<void | Error>((r) => (resolve = r));
  return { promise, resolve };
}
