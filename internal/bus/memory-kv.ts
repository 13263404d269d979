import type { KvBucket, KvEntry } from './durable-types.js';
import { assertKvKey } from './subject.js';

interface Slot {
  value: string;
  revision: number;
  /** Epoch ms of the last write; the entry is gone `ttlMs` later. */
  at: number;
  /** A delete marker (still holds a revision, like a NATS KV tombstone). */
  deleted: boolean;
}

/**
 * One in-process KV bucket shared by the buses on a hub: revisions are one counter per bucket
 * (like the sequence of the stream behind a NATS KV bucket), history 1, and a bucket-wide TTL
 * counted from each entry's last write, checked when the entry is read (no timers). Writes also
 * sweep out expired entries now and then, so keys never read again (a bucket that only
 * remembers, like the ingress's) do not pile up.
 */
export class MemoryKvStore {
  ttlMs: number;
  #sweptAt = Date.now();
  #seq = 0;
  readonly #slots = new Map<string, Slot>();

  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.#slots.size;
  }

  get(key: string, now = Date.now()): KvEntry | null {
    const s = this.#live(key, now);
    return s && !s.deleted ? { value: s.value, revision: s.revision } : null;
  }

  create(key: string, value: string, now = Date.now()): number | null {
    const s = this.#live(key, now);
    if (s && !s.deleted) return null;
    return this.#write(key, value, false, now);
  }

  update(key: string, value: string, revision: number, now = Date.now()): number | null {
    const s = this.#live(key, now);
    if (!s || s.revision !== revision) return null;
    return this.#write(key, value, false, now);
  }

  delete(key: string, revision: number | undefined, now = Date.now()): boolean {
    const s = this.#live(key, now);
    if (revision !== undefined && (!s || s.deleted || s.revision !== revision)) return false;
    this.#write(key, '', true, now);
    return true;
  }

  /** Drops expired entries, at most once per tenth of the TTL (and per minute at the most often). */
  #sweep(now: number): void {
    if (this.ttlMs <= 0 || now - this.#sweptAt < Math.max(this.ttlMs / 10, 60_000)) return;
    this.#sweptAt = now;
    for (const [key, s] of this.#slots) if (now - s.at >= this.ttlMs) this.#slots.delete(key);
  }

  /** The entry unless it expired (an expired entry is removed, as max_age does). */
  #live(key: string, now: number): Slot | undefined {
    const s = this.#slots.get(key);
    if (s && this.ttlMs > 0 && now - s.at >= this.ttlMs) {
      this.#slots.delete(key);
      return undefined;
    }
    return s;
  }

  #write(key: string, value: string, deleted: boolean, now: number): number {
    this.#sweep(now);
    const revision = ++this.#seq;
    this.#slots.set(key, { value, revision, at: now, deleted });
    return revision;
  }
}

/** A bus's view of a shared bucket: every call fails once that bus has stopped (or died). */
export class MemoryKv implements KvBucket {
  constructor(
    private readonly store: MemoryKvStore,
    private readonly assertRunning: () => void,
  ) {}

  async get(key: string): Promise<KvEntry | null> {
    this.#check(key);
    return this.store.get(key);
  }

  async create(key: string, value: string): Promise<number | null> {
    this.#check(key);
    return this.store.create(key, value);
  }

  async update(key: string, value: string, revision: number): Promise<number | null> {
    this.#check(key);
    return this.store.update(key, value, revision);
  }

  async delete(key: string, revision?: number): Promise<boolean> {
    this.#check(key);
    return this.store.delete(key, revision);
  }

  #check(key: string): void {
    this.assertRunning();
    assertKvKey(key);
  }
}
