import { attemptKeys, type AttemptKeys } from './keys.js';
import { KNOWN_SOURCE_TTL_MS, type LockoutScope, type LoginAttempt, type LoginGate, type LoginLimiter, type LoginLimits } from './types.js';

/** Failure counts held at most; ~100 bytes each, so ~10 MB however many sources an attacker uses. */
export const MAX_FAILURE_COUNTS = 100_000;
/** Known sources held at most: kept apart so a flood of failures cannot push them out. */
export const MAX_KNOWN_SOURCES = 20_000;

interface Count {
  value: number;
  /** Clock ms. */
  expiresAtMs: number;
}

/** A full map is swept of expired entries at most this often (a sweep walks every entry). */
const SWEEP_INTERVAL_MS = 10_000;

/**
 * A Map of expiring entries that never holds more than `max`: when full, expired entries are
 * swept (at most every SWEEP_INTERVAL_MS), and if that freed nothing the oldest goes (an evicted
 * failure count starts again at 0).
 */
class BoundedCounts {
  readonly #entries = new Map<string, Count>();
  #sweptAtMs = -Infinity;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.#entries.size;
  }

  live(key: string, now: number): Count | undefined {
    const entry = this.#entries.get(key);
    if (!entry || entry.expiresAtMs > now) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  /** Adds 1 to `key`, created with `ttlMs` when absent (a window starts at its first failure). */
  bump(key: string, ttlMs: number, now: number): void {
    const entry = this.live(key, now);
    if (entry) {
      entry.value += 1;
      return;
    }
    this.#makeRoom(now);
    this.#entries.set(key, { value: 1, expiresAtMs: now + ttlMs });
  }

  /** Sets `key` to live `ttlMs` from now. */
  touch(key: string, ttlMs: number, now: number): void {
    this.#entries.delete(key);
    this.#makeRoom(now);
    this.#entries.set(key, { value: 1, expiresAtMs: now + ttlMs });
  }

  #makeRoom(now: number): void {
    if (this.#entries.size < this.max) return;
    if (now - this.#sweptAtMs >= SWEEP_INTERVAL_MS) {
      this.#sweptAtMs = now;
      for (const [key, entry] of this.#entries) if (entry.expiresAtMs <= now) this.#entries.delete(key);
      if (this.#entries.size < this.max) return;
    }
    const oldest = this.#entries.keys().next().value;
    if (oldest !== undefined) this.#entries.delete(oldest);
  }
}

export interface MemoryLoginLimiterOptions {
  limits: LoginLimits;
  maxCounts?: number;
  maxKnown?: number;
}

/**
 * The embedded default's limiter: this process's counts only, in bounded memory. Also what a
 * cluster node counts with while Redis is down (fallback.ts).
 */
export class MemoryLoginLimiter implements LoginLimiter {
  readonly #counts: BoundedCounts;
  readonly #known: BoundedCounts;

  constructor(
    private readonly options: MemoryLoginLimiterOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.#counts = new BoundedCounts(options.maxCounts ?? MAX_FAILURE_COUNTS);
    this.#known = new BoundedCounts(options.maxKnown ?? MAX_KNOWN_SOURCES);
  }

  /** Entries held (for tests of the bound). */
  get size(): { counts: number; known: number } {
    return { counts: this.#counts.size, known: this.#known.size };
  }

  async admit(attempt: LoginAttempt): Promise<LoginGate> {
    const now = this.now();
    const keys = attemptKeys(attempt);
    const known = keys.known !== undefined && this.#known.live(keys.known, now) !== undefined;
    for (const [scope, key, limit] of this.#checks(keys)) {
      if (limit <= 0 || key === undefined || (known && scope !== 'ip')) continue;
      const count = this.#counts.live(key, now);
      if (count && count.value >= limit) return { allowed: false, scope, retryAfterMs: count.expiresAtMs - now };
    }
    return { allowed: true };
  }

  async fail(attempt: LoginAttempt): Promise<void> {
    const now = this.now();
    for (const [, key, limit] of this.#checks(attemptKeys(attempt))) {
      if (limit > 0 && key !== undefined) this.#counts.bump(key, this.options.limits.windowMs, now);
    }
  }

  async succeed(attempt: LoginAttempt): Promise<void> {
    const { known } = attemptKeys(attempt);
    if (known !== undefined) this.#known.touch(known, KNOWN_SOURCE_TTL_MS, this.now());
  }

  #checks(keys: AttemptKeys): Array<[LockoutScope, string | undefined, number]> {
    const { perIp, perNetwork, perUser } = this.options.limits;
    return [
      ['ip', keys.ip, perIp],
      ['network', keys.network, perNetwork],
      ['user', keys.user, perUser],
    ];
  }
}
