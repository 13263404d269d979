/**
 * The binds this node holds (ports.ts LocalBinds): what the deliver_sm egress reads to find a
 * client's receiving sessions, and what /stats lists. Listeners hear about every change of a
 * client's receiving sessions, so the egress can start or stop consuming that client's subject.
 */
import type { BoundSession, LocalBinds } from './ports.js';

export class LocalBindList<S extends BoundSession = BoundSession> implements LocalBinds {
  /** Insertion order is bind order. */
  readonly #sessions = new Map<string, S>();
  readonly #listeners = new Set<(clientId: number) => void>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => undefined) {}

  add(session: S): void {
    this.#sessions.set(session.id, session);
    this.#changed(session.clientId);
  }

  remove(session: S): void {
    if (this.#sessions.delete(session.id)) this.#changed(session.clientId);
  }

  receivingSessions(clientId: number): readonly S[] {
    return [...this.#sessions.values()].filter((s) => s.clientId === clientId && s.canReceive && s.open);
  }

  all(): readonly S[] {
    return [...this.#sessions.values()].filter((s) => s.open);
  }

  /** Bound sessions of one client (any mode). */
  ofClient(clientId: number): readonly S[] {
    return [...this.#sessions.values()].filter((s) => s.clientId === clientId);
  }

  onChange(listener: (clientId: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(clientId: number): void {
    for (const listener of this.#listeners) {
      try {
        listener(clientId);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
