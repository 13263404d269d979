import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { OutcomeUnknownError, UnavailableError } from '../errors/index.js';
import type { PublishAck } from './durable-types.js';

/** How often deadlines are checked: a publish times out at most this late. */
const SWEEP_MS = 100;
const utf8 = new TextDecoder();

interface Waiting {
  resolve(ack: PublishAck): void;
  reject(err: Error): void;
  subject: string;
  deadline: number;
}

/**
 * JetStream publishes and their PubAcks, on one reply subscription of our own.
 *
 * Why not `js.publish`: each call goes through nats.js's request machinery (a copy of its
 * options, a headers builder, a muxed Request with a timer of its own and an Error built when it
 * ends, a deferred, a retry loop, the PubAck parsed into a class) for what is one HPUB and one
 * reply; measured in docs/decisions.md. Here a publish is a headers object, one publish with a
 * reply subject, a map entry, and one JSON.parse of the answer; deadlines are checked by one
 * sweep, not a timer each.
 *
 * Resolves with the stream, sequence and duplicate flag. A failure says what is known:
 * - UnavailableError, certainly not stored: no stream takes the subject (no responders),
 *   JetStream answered with an error, or the publish was never written (connection closed).
 * - OutcomeUnknownError, maybe stored: the message was written and no answer came in time, the
 *   connection closed before it, or the answer cannot be read. A stream may hold it (a PubAck
 *   lost in a server restart), so the caller keeps its units and may resend with the same
 *   Nats-Msg-Id, which the stream's dedup window takes once.
 */
export class PubAcks {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #waiting = new Map<string, Waiting>();
  readonly #sub: Subscription;
  readonly #sweeper: NodeJS.Timeout;
  #next = 0;
  #closed = false;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#prefix = `${createInbox()}.`;
    this.#sub = nc.subscribe(`${this.#prefix}*`, { callback: (err, msg) => (err ? this.#failAll(err) : this.#answer(msg)) });
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_MS).unref();
    void nc.closed().then(() => this.close());
  }

  publish(subject: string, data: Uint8Array, msgId: string | undefined, timeoutMs: number): Promise<PublishAck> {
    if (this.#closed) return Promise.reject(notStored(subject, new Error('connection closed')));
    const token = (this.#next++).toString(36);
    const h = headers();
    if (msgId !== undefined) h.set('Nats-Msg-Id', msgId);
    return new Promise<PublishAck>((resolve, reject) => {
      this.#waiting.set(token, { resolve, reject, subject, deadline: performance.now() + timeoutMs });
      try {
        this.#nc.publish(subject, data, { reply: this.#prefix + token, headers: h });
      } catch (err) {
        this.#waiting.delete(token);
        reject(notStored(subject, err));
      }
    });
  }

  /** Rejects every publish still waiting (the connection closed) and stops listening. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#sub.unsubscribe();
    this.#failAll(new Error('connection closed'));
  }

  #answer(msg: Msg): void {
    const token = msg.subject.slice(this.#prefix.length);
    const waiting = this.#waiting.get(token);
    if (!waiting) return; // timed out already
    this.#waiting.delete(token);
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      return waiting.reject(notStored(waiting.subject, new Error('no responders')));
    }
    let answer: { stream?: string; seq?: number; duplicate?: boolean; error?: { code?: number; err_code?: number; description?: string } };
    try {
      answer = JSON.parse(utf8.decode(msg.data)) as typeof answer;
    } catch (err) {
      return waiting.reject(unknown(waiting.subject, err));
    }
    if (answer.error) {
      const why = `${answer.error.description ?? 'error'} (${answer.error.err_code ?? answer.error.code})`;
      return waiting.reject(notStored(waiting.subject, new Error(why)));
    }
    if (!answer.stream) return waiting.reject(unknown(waiting.subject, new Error('invalid ack')));
    waiting.resolve({ stream: answer.stream, seq: answer.seq ?? 0, duplicate: answer.duplicate === true });
  }

  #sweep(): void {
    const now = performance.now();
    for (const [token, waiting] of this.#waiting) {
      if (waiting.deadline > now) continue;
      this.#waiting.delete(token);
      waiting.reject(unknown(waiting.subject, new Error('no PubAck in time')));
    }
  }

  /** The connection or the reply subscription ended: what was written may have been stored. */
  #failAll(err: Error): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w.reject(unknown(w.subject, err));
  }
}

function notStored(subject: string, cause: unknown): UnavailableError {
  return new UnavailableError(`publish to ${subject} was not stored (no stream for it, or JetStream unavailable)`, { cause });
}

function unknown(subject: string, cause: unknown): OutcomeUnknownError {
  return new OutcomeUnknownError(`publish to ${subject}: no answer said whether it was stored`, { cause });
}
