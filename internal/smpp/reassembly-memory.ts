import { UnavailableError } from '../errors/index.js';
import { checkPart, partBytes, ReassemblyFullError } from './concat-part.js';
import type { AddOptions, ConcatPart, ExpiredSet, Reassembler, ReassemblyLimits } from './ports.js';

export interface MemoryReassemblerOptions extends ReassemblyLimits {
  /** A set whose first part arrived this long ago is expired by takeExpired(). */
  ttlMs: number;
}

interface PendingSet {
  /** receivedAt of the part that opened the set: the set's age counts from it. */
  firstAt: number;
  parts: Map<number, ConcatPart>;
  bytes: number;
}

/** What one client holds in incomplete sets. */
interface Usage {
  sets: number;
  bytes: number;
}

/**
 * Reassembly in this process's memory, for the embedded default (one node, so every part of a
 * set reaches the same store). add() runs to completion without awaiting, so concurrent calls
 * cannot both complete a set.
 *
 * A set's age counts from its first stored part's `receivedAt`, as in RedisReassembler.
 */
export class MemoryReassembler implements Reassembler {
  readonly #opts: MemoryReassemblerOptions;
  readonly #sets = new Map<string, PendingSet>();
  readonly #usage = new Map<number, Usage>();
  #closed = false;

  constructor(opts: MemoryReassemblerOptions) {
    this.#opts = opts;
  }

  async add(part: ConcatPart, options: AddOptions = {}): Promise<ConcatPart[] | null> {
    this.#checkOpen();
    checkPart(part);
    const key = setKey(part);
    const open = this.#sets.get(key);
    if (open?.parts.has(part.seq)) return null;
    const stored = open?.parts.size ?? 0;
    if (stored + 1 >= part.total) {
      if (open) this.#release(key, open, part.clientId);
      return bySeq(new Map([...(open?.parts ?? []), [part.seq, { ...part }]]));
    }
    const bytes = partBytes(part);
    if (!options.restore) this.#checkLimits(part.clientId, open === undefined, bytes);
    const set = open ?? { firstAt: part.receivedAt, parts: new Map(), bytes: 0 };
    if (!open) this.#sets.set(key, set);
    set.parts.set(part.seq, { ...part });
    set.bytes += bytes;
    this.#use(part.clientId, open ? 0 : 1, bytes);
    return null;
  }

  async takeExpired(now = Date.now()): Promise<ExpiredSet[]> {
    this.#checkOpen();
    const expired: ExpiredSet[] = [];
    for (const [key, set] of this.#sets) {
      if (now - set.firstAt < this.#opts.ttlMs) continue;
      const parts = bySeq(set.parts);
      const { clientId, from, to, ref, total } = parts[0];
      this.#release(key, set, clientId);
      expired.push({ clientId, from, to, ref, total, parts });
    }
    return expired;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sets.clear();
    this.#usage.clear();
  }

  #checkLimits(clientId: number, opening: boolean, bytes: number): void {
    const usage = this.#usage.get(clientId) ?? { sets: 0, bytes: 0 };
    if ((opening && usage.sets >= this.#opts.maxOpenSetsPerClient) || usage.bytes + bytes > this.#opts.maxOpenBytesPerClient) {
      throw new ReassemblyFullError(clientId);
    }
  }

  #use(clientId: number, sets: number, bytes: number): void {
    const usage = this.#usage.get(clientId) ?? { sets: 0, bytes: 0 };
    usage.sets += sets;
    usage.bytes += bytes;
    if (usage.sets <= 0) this.#usage.delete(clientId);
    else this.#usage.set(clientId, usage);
  }

  #release(key: string, set: PendingSet, clientId: number): void {
    this.#sets.delete(key);
    this.#use(clientId, -1, -set.bytes);
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
