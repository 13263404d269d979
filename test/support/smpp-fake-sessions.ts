/**
 * In-memory BoundSession and LocalBinds for tests of the deliver_sm egress: each session
 * answers from a script (a command_status, a timeout, a closed session, or a held answer the
 * test releases) and records every deliver_sm and how many were unanswered at once.
 */
import {
  SmppSessionClosedError,
  SmppTimeoutError,
  type BindMode,
  type BoundSession,
  type DeliverAddresses,
  type DeliverResult,
  type LocalBinds,
} from '../../internal/smpp/ports.js';
import type { SmppPart } from '../../internal/smpp/types.js';

/** How a fake session answers one deliver_sm. */
export type FakeAnswer = number | 'timeout' | 'closed' | { delayMs: number; status?: number };

export interface FakeDeliver {
  addresses: DeliverAddresses;
  part: SmppPart;
  sessionId: string;
}

export class FakeSession implements BoundSession {
  readonly systemId: string;
  readonly mode: BindMode = 'transceiver';
  readonly remoteIp = '127.0.0.1';
  readonly canReceive = true;
  open = true;
  /** Answers for the next deliver_sm calls, in order; afterwards `fallback`. */
  readonly script: FakeAnswer[] = [];
  fallback: FakeAnswer = 0;
  readonly delivered: FakeDeliver[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Rejects the deliver_sm waiting for an answer when the session closes. */
  readonly #closers = new Set<(err: Error) => void>();

  constructor(
    readonly id: string,
    readonly clientId: number,
    /** Every deliver_sm of every session of a test, in call order. */
    private readonly log: FakeDeliver[] = [],
  ) {
    this.systemId = `client${clientId}`;
  }

  async deliver(addresses: DeliverAddresses, part: SmppPart): Promise<DeliverResult> {
    if (!this.open) throw new SmppSessionClosedError(`session ${this.id} is closed`);
    const call = { addresses, part, sessionId: this.id };
    this.delivered.push(call);
    this.log.push(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let closer!: (err: Error) => void;
    const closed = new Promise<never>((_, reject) => (closer = reject));
    this.#closers.add(closer);
    try {
      return await Promise.race([this.answer(this.script.shift() ?? this.fallback), closed]);
    } finally {
      this.#closers.delete(closer);
      this.inFlight--;
    }
  }

  /** The connection ends: unanswered deliver_sm fail with SmppSessionClosedError. */
  close(): void {
    this.open = false;
    for (const reject of this.#closers) reject(new SmppSessionClosedError(`session ${this.id} closed`));
  }

  private async answer(answer: FakeAnswer): Promise<DeliverResult> {
    await new Promise((r) => setTimeout(r, typeof answer === 'object' ? answer.delayMs : 0));
    if (answer === 'timeout') throw new SmppTimeoutError(`no deliver_sm_resp on ${this.id}`);
    if (answer === 'closed') throw new SmppSessionClosedError(`session ${this.id} closed`);
    return { commandStatus: typeof answer === 'object' ? (answer.status ?? 0) : answer };
  }
}

export class FakeLocalBinds implements LocalBinds {
  readonly #sessions: FakeSession[] = [];
  readonly #listeners = new Set<(clientId: number) => void>();

  add(session: FakeSession): FakeSession {
    this.#sessions.push(session);
    this.emit(session.clientId);
    return session;
  }

  remove(session: FakeSession): void {
    session.close();
    this.#sessions.splice(this.#sessions.indexOf(session), 1);
    this.emit(session.clientId);
  }

  receivingSessions(clientId: number): readonly BoundSession[] {
    return this.#sessions.filter((s) => s.clientId === clientId && s.open);
  }

  all(): readonly BoundSession[] {
    return [...this.#sessions];
  }

  onChange(listener: (clientId: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  private emit(clientId: number): void {
    for (const listener of this.#listeners) listener(clientId);
  }
}
