import { UnavailableError } from '../errors/index.js';
import { checkPart } from './concat-part.js';
import type { ConcatPart, ExpiredSet, Reassembler } from './ports.js';

export interface MemoryReassemblerOptions {
  /** A set whose first part arrived this long ago is expired by takeExpired(). */
  ttlMs: number;
}

interface PendingSet {
  /** receivedAt of the part that opened the set: the set's age counts from it. */
  firstAt: number;
  parts: Map<number, ConcatPart>;
}

/**
 * Reassembly in this process's memory, for the embedded default (one node, so every part of a
 * set reaches the same store). add() runs to completion without awaiting, so concurrent calls
 * cannot both complete a set.
 *
 * A set's age counts from its first stored part's `receivedAt`, as in RedisReassembler.
 */
export class MemoryReassembler implements Reassembler {
  readonly #ttlMs: number;
  readonly #sets = new Map<string, PendingSet>();
  #closed = false;

  constructor(opts: MemoryReassemblerOptions) {
    this.#ttlMs = opts.ttlMs;
  }

  async add(part: ConcatPart): Promise<ConcatPart[] | null> {
    this.#checkOpen();
    checkPart(part);
    const key = setKey(part);
    let set = this.#sets.get(key);
    if (!set) {
      set = { firstAt: part.receivedAt, parts: new Map() };
      this.#sets.set(key, set);
    }
    if (set.parts.has(part.seq)) return null;
    set.parts.set(part.seq, { ...part });
    if (set.parts.size < part.total) return null;
    this.#sets.delete(key);
    return bySeq(set.parts);
  }

  async takeExpired(now = Date.now()): Promise<ExpiredSet[]> {
    this.#checkOpen();
    const expired: ExpiredSet[] = [];
    for (const [key, set] of this.#sets) {
      if (now - set.firstAt < this.#ttlMs) continue;
      this.#sets.delete(key);
      const parts = bySeq(set.parts);
      const { clientId, from, to, ref, total } = parts[0];
      expired.push({ clientId, from, to, ref, total, parts });
    }
    return expired;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sets.clear();
  }

  #checkOpen(): void {
    if (this.#closed) throw new UnavailableError('reassembler is closed');
  }
}

function setKey(p: ConcatPart): string {
  return JSON.stringify([p.clientId, p.from, p.to, p.ref, p.total]);
}

function bySeq(parts: Map<number, ConcatPart>): ConcatPart[] {
  return [...parts.values()].sort((a, b) => a.seq - b.seq);
}
