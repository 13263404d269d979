import type { AutoReplyState } from './types.js';

/**
 * Pairs remembered at most (cooldowns and opt-outs each). Upstream's maps grew forever (BUG-25);
 * beyond this the oldest entry goes, which at worst allows one early reply or forgets an opt-out
 * that carriers still enforce.
 */
export const DEFAULT_MAX_PAIRS = 100_000;

export interface MemoryAutoReplyStateOptions {
  maxPairs?: number;
  /** Milliseconds since the epoch; Date.now by default (tests move time). */
  now?: () => number;
}

interface Cooldown {
  holder: string;
  expiresAt: number;
}

const pairKey = (number: string, sender: string): string => `${number}|${sender}`;

/** The embedded default's state: one node, so a map is the whole cluster. */
export class MemoryAutoReplyState implements AutoReplyState {
  readonly #cooldowns = new Map<string, Cooldown>();
  readonly #optOuts = new Set<string>();
  readonly #maxPairs: number;
  readonly #now: () => number;

  constructor(options: MemoryAutoReplyStateOptions = {}) {
    this.#maxPairs = options.maxPairs ?? DEFAULT_MAX_PAIRS;
    this.#now = options.now ?? Date.now;
  }

  async claimCooldown(number: string, sender: string, holder: string, ttlMs: number): Promise<boolean> {
    const key = pairKey(number, sender);
    const now = this.#now();
    const current = this.#cooldowns.get(key);
    if (current && current.expiresAt > now) return current.holder === holder;
    // Re-inserted so the map's order stays oldest-first for eviction.
    this.#cooldowns.delete(key);
    this.#cooldowns.set(key, { holder, expiresAt: now + ttlMs });
    this.evict(this.#cooldowns);
    return true;
  }

  async setOptOut(number: string, sender: string, optedOut: boolean): Promise<void> {
    const key = pairKey(number, sender);
    this.#optOuts.delete(key);
    if (!optedOut) return;
    this.#optOuts.add(key);
    this.evict(this.#optOuts);
  }

  async isOptedOut(number: string, sender: string): Promise<boolean> {
    return this.#optOuts.has(pairKey(number, sender));
  }

  /** Drops the oldest entries beyond the cap (Map and Set iterate in insertion order). */
  private evict(entries: Map<string, unknown> | Set<string>): void {
    for (const key of entries.keys()) {
      if (entries.size <= this.#maxPairs) return;
      entries.delete(key);
    }
  }
}
