import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from '../cluster/index.js';
import { UnavailableError } from '../errors/index.js';

/**
 * Named counters with an expiry, shared by every node (Redis) or kept in this process (memory).
 * Both are rate-limiter-flexible limiters used the same way, so the gate has one code path: its
 * atomic increment with TTL (RateLimiterRedis runs INCRBY and EXPIRE in one Lua script, so two
 * nodes adding at once each get a distinct total), its decrement and its read.
 *
 * The limiters only count; the gate compares totals with limits itself, because limits differ
 * per client and number and change at run time, while a limiter's `points` is fixed when it is
 * built (and each RateLimiterMemory keeps its own storage, so one limiter per limit value would
 * split the counts).
 */
export interface Counters {
  /** Adds `units` to `key` (created with `ttlSecs` when absent); the total after, and time left. */
  add(key: string, units: number, ttlSecs: number): Promise<CounterValue>;
  /** Takes `units` back from `key`. */
  remove(key: string, units: number, ttlSecs: number): Promise<void>;
  /** Current totals of `keys`, 0 for a missing or expired one. */
  read(keys: readonly string[]): Promise<number[]>;
}

export interface CounterValue {
  total: number;
  /** Until the key expires, ms (-1 for a long memory key, see MAX_TIMER_SECS). */
  msBeforeReset: number;
}

/** Where counters live: a node's shared Redis client (cluster) or this process (embedded default). */
export type CounterBackend = { kind: 'redis'; redis: Redis } | { kind: 'memory' };

/** Never reached: the limiter must never refuse on its own (see above). */
const UNLIMITED_POINTS = Number.MAX_SAFE_INTEGER;
/** Used only when a call gives no duration; every call here gives one. */
const DEFAULT_DURATION_SECS = 60;

type Limiter = RateLimiterMemory | RateLimiterRedis;

/**
 * RateLimiterMemory expires a key with setTimeout, and Node fires a timeout longer than
 * 2^31-1 ms (24.8 days) at once: a month's counter would vanish as soon as it was made. Longer
 * keys are therefore kept without a limiter expiry and swept here (memory backend only).
 */
const MAX_TIMER_SECS = Math.floor((2 ** 31 - 1) / 1000);
/** How often at most the long-lived memory keys are swept (on the next add). */
const SWEEP_INTERVAL_MS = 3_600_000;

function limiter(backend: CounterBackend, keyPrefix: string): Limiter {
  const opts = { keyPrefix, points: UNLIMITED_POINTS, duration: DEFAULT_DURATION_SECS };
  if (backend.kind === 'memory') return new RateLimiterMemory(opts);
  // Fails at once while Redis is down instead of waiting on ioredis's reconnect.
  return new RateLimiterRedis({ ...opts, storeClient: backend.redis, rejectIfRedisNotReady: true });
}

/** rate-limiter-flexible rejects with a RateLimiterRes when over points, with an Error otherwise. */
function unavailable(err: unknown): UnavailableError {
  return new UnavailableError('the quota counters are unavailable', { cause: err instanceof Error ? err : undefined });
}

class LimiterCounters implements Counters {
  /** Memory keys kept without a limiter expiry → when they expire (ms, wall clock). */
  readonly #untimed = new Map<string, number>();
  #sweptAtMs = Date.now();

  constructor(private readonly limiter: Limiter) {}

  async add(key: string, units: number, ttlSecs: number): Promise<CounterValue> {
    let res: RateLimiterRes;
    try {
      res = await this.limiter.penalty(key, units, { customDuration: this.duration(key, ttlSecs) });
    } catch (err) {
      throw unavailable(err);
    }
    return { total: res.consumedPoints, msBeforeReset: res.msBeforeNext };
  }

  async remove(key: string, units: number, ttlSecs: number): Promise<void> {
    try {
      await this.limiter.reward(key, units, { customDuration: this.duration(key, ttlSecs) });
    } catch (err) {
      throw unavailable(err);
    }
  }

  /** The duration to give the limiter: `ttlSecs`, or 0 (no expiry) for a long memory key. */
  private duration(key: string, ttlSecs: number): number {
    if (!(this.limiter instanceof RateLimiterMemory) || ttlSecs <= MAX_TIMER_SECS) return ttlSecs;
    if (!this.#untimed.has(key)) this.#untimed.set(key, Date.now() + ttlSecs * 1000);
    this.sweep();
    return 0;
  }

  private sweep(): void {
    const now = Date.now();
    if (now - this.#sweptAtMs < SWEEP_INTERVAL_MS) return;
    this.#sweptAtMs = now;
    for (const [key, expiresAtMs] of this.#untimed) {
      if (expiresAtMs > now) continue;
      this.#untimed.delete(key);
      void this.limiter.delete(key);
    }
  }

  async read(keys: readonly string[]): Promise<number[]> {
    try {
      const results = await Promise.all(keys.map((key) => this.limiter.get(key)));
      return results.map((res) => Math.max(0, res?.consumedPoints ?? 0));
    } catch (err) {
      throw unavailable(err);
    }
  }
}

/** Counters under `keyPrefix` (every key is `<keyPrefix>:<name>`). */
export function createCounters(backend: CounterBackend, keyPrefix: string): Counters {
  return new LimiterCounters(limiter(backend, keyPrefix));
}
