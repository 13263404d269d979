/**
 * One client's receiving sessions on this node, as the deliver_sm egress uses them: each send
 * takes a slot of one session's window, chosen least busy first and round robin among equals,
 * so the client's traffic spreads over its binds and no session ever has more deliver_sm
 * unanswered than its window. A session the client throttled cools down before it is used again.
 */
import type { BoundSession, LocalBinds } from './ports.js';

/** A window slot on one session; release it once the deliver_sm is answered (or failed). */
export interface SessionSlot {
  readonly session: BoundSession;
  release(): void;
}

export interface AcquireOptions {
  /** Prefer any other session (the one that just timed out or refused); used when it is the only one. */
  avoid?: string;
  signal?: AbortSignal;
}

interface Waiter {
  wake(): void;
}

export class SessionPool {
  readonly #inFlight = new Map<string, number>();
  readonly #coolUntil = new Map<string, number>();
  #waiters: Waiter[] = [];
  #turn = 0;
  #coolTimer?: NodeJS.Timeout;

  constructor(
    readonly clientId: number,
    private readonly binds: LocalBinds,
    /** The SMPP window each session allows (deliver_sm unanswered at once). */
    readonly window: number,
  ) {}

  /** Open receiving sessions now. */
  sessions(): readonly BoundSession[] {
    return this.binds.receivingSessions(this.clientId).filter((s) => s.open && s.canReceive);
  }

  /** deliver_sm in flight on `sessionId`, by this pool's count. */
  inFlight(sessionId: string): number {
    return this.#inFlight.get(sessionId) ?? 0;
  }

  /**
   * A free slot, waiting for one while every session is full or cooling down. Resolves null
   * when the client has no open session left on this node, or when `signal` aborts.
   */
  async acquire(options: AcquireOptions = {}): Promise<SessionSlot | null> {
    for (;;) {
      if (options.signal?.aborted) return null;
      const sessions = this.sessions();
      if (sessions.length === 0) return null;
      const session = this.pick(sessions, options.avoid);
      if (session) return this.take(session);
      await this.waitForChange(options.signal);
    }
  }

  /** The client throttled `sessionId`: leave it alone for `ms`. */
  coolDown(sessionId: string, ms: number): void {
    const until = Date.now() + ms;
    this.#coolUntil.set(sessionId, Math.max(until, this.#coolUntil.get(sessionId) ?? 0));
    this.scheduleWake();
  }

  /** This node's binds changed (a bind or an unbind): waiters look again. */
  changed(): void {
    this.wakeAll();
  }

  /** Clears timers and lets every waiter go (they find no session or an aborted signal). */
  close(): void {
    clearTimeout(this.#coolTimer);
    this.wakeAll();
  }

  /** Least busy among sessions with room and not cooling down; round robin among equals. */
  private pick(sessions: readonly BoundSession[], avoid?: string): BoundSession | undefined {
    const now = Date.now();
    const ready = sessions.filter((s) => this.inFlight(s.id) < this.window && (this.#coolUntil.get(s.id) ?? 0) <= now);
    const preferred = ready.length > 1 && avoid !== undefined ? ready.filter((s) => s.id !== avoid) : ready;
    if (preferred.length === 0) return undefined;
    const start = this.#turn++ % preferred.length;
    let best = preferred[start];
    for (let i = 1; i < preferred.length; i++) {
      const s = preferred[(start + i) % preferred.length];
      if (this.inFlight(s.id) < this.inFlight(best.id)) best = s;
    }
    return best;
  }

  private take(session: BoundSession): SessionSlot {
    this.#inFlight.set(session.id, this.inFlight(session.id) + 1);
    let released = false;
    return {
      session,
      release: () => {
        if (released) return;
        released = true;
        const left = this.inFlight(session.id) - 1;
        if (left > 0) this.#inFlight.set(session.id, left);
        else this.#inFlight.delete(session.id);
        this.#waiters.shift()?.wake();
      },
    };
  }

  private waitForChange(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.wake();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  private wakeAll(): void {
    for (const waiter of this.#waiters.splice(0)) waiter.wake();
  }

  /**
   * A session that cools down sends no release when it becomes usable again: a timer wakes the
   * waiters when the next cool-down ends.
   */
  private scheduleWake(): void {
    clearTimeout(this.#coolTimer);
    const now = Date.now();
    for (const [id, until] of this.#coolUntil) if (until <= now) this.#coolUntil.delete(id);
    if (this.#coolUntil.size === 0) return;
    const next = Math.min(...this.#coolUntil.values());
    this.#coolTimer = setTimeout(() => {
      this.wakeAll();
      this.scheduleWake();
    }, next - now);
  }
}
