import { RedisScript, safeRedisError, type Redis } from '../redis/index.js';
import { UnavailableError } from '../errors/index.js';

/**
 * Named integer counters with an expiry, shared by every node (Redis) or kept in this process
 * (memory). A counter is created with the TTL given when it is first moved and keeps that expiry
 * (later moves never extend it), so a counter named by its period lives until the period's end
 * plus grace, and an API key's minute starts at its first request.
 *
 * On Redis a counter is a plain string key `<keyPrefix>:<name>` holding the integer, created with
 * SET NX EX and moved with INCRBY: the same keys and values rate-limiter-flexible's RateLimiterRedis
 * wrote before, so nodes of either version count on the same keys. Every operation is one round
 * trip; `addWithin`, the gate's, is one Lua script that checks all of a message's limits and moves
 * all of its counters atomically.
 */
export interface Counters {
  /** Adds `units` to `key` (created with `ttlSecs` when absent); the total after, and time left. */
  add(key: string, units: number, ttlSecs: number): Promise<CounterValue>;
  /** Takes `units` back from `key`. */
  remove(key: string, units: number, ttlSecs: number): Promise<void>;
  /** Current totals of `keys`, 0 for a missing or expired one. */
  read(keys: readonly string[]): Promise<number[]>;
  /**
   * Adds `units` to every counter of `entries` only if none with a `limit` would then exceed it;
   * otherwise changes nothing and names the first (in `entries` order) that would. Atomic: two
   * calls on any nodes never both pass a limit that only one fits under. The gate uses the
   * add-then-refund path over `add`/`remove` when a Counters lacks it (createCounters' have it).
   */
  addWithin?(entries: readonly CounterLimit[], units: number, once?: OnceKey): Promise<AddWithinResult>;
}

/**
 * Makes an addWithin idempotent for one message: with units > 0, when `key` is present the call
 * changes nothing and answers `{ added: true, repeat: true }`; otherwise a successful add also
 * sets `key` for `ttlSecs`. With units < 0 (a refund) the add is taken back and `key` deleted, so
 * the message counts again if it comes back.
 */
export interface OnceKey {
  key: string;
  ttlSecs: number;
}

export interface CounterValue {
  total: number;
  /** Until the key expires, ms (-1 when it has no expiry). */
  msBeforeReset: number;
}

/** One counter of an `addWithin`: created with `ttlSecs` when absent, checked when `limit` > 0. */
export interface CounterLimit {
  key: string;
  ttlSecs: number;
  /** The most the counter may hold after the add; 0 or absent: counted, never checked. */
  limit?: number;
}

export type AddWithinResult =
  /** `repeat`: the once key was there, so nothing was counted this time. */
  | { added: true; repeat?: boolean }
  | {
      added: false;
      /** Which entry would have gone over its limit (the first in `entries` order). */
      index: number;
      /** Its total before this add (nothing was added anywhere). */
      current: number;
      /** Until that counter expires, ms (-1 when missing or without expiry). */
      msBeforeReset: number;
    };

/** Where counters live: a node's shared Redis client (cluster) or this process (embedded default). */
export type CounterBackend = { kind: 'redis'; redis: Redis } | { kind: 'memory' };

function unavailable(err: unknown): UnavailableError {
  return new UnavailableError('the quota counters are unavailable', { cause: safeRedisError(err) });
}

// Checks, then adds: nothing changes unless every limited key stays within its limit. A key is
// created as 0 with its TTL (SET NX EX, as rate-limiter-flexible did), so an existing key keeps
// its expiry. One script per call keeps a message to one round trip and makes the check exact
// across nodes. Like the keys' layout, it expects one Redis (not Redis Cluster: its keys may hash
// to different slots).
// KEYS: the counters, then the once key when ARGV[2] > 0. ARGV[1]: units (negative takes back).
// ARGV[2]: the once key's TTL in seconds (0: no once key). ARGV[2i+1], ARGV[2i+2]: KEYS[i]'s TTL
// in seconds (0: none) and limit (0: none).
// Returns {0, total of KEYS[1] after, its PTTL} when added, {-1, 0, -1} when the once key was
// already there (nothing changed), {i, KEYS[i]'s total, its PTTL} when KEYS[i] would go over.
const ADD_WITHIN = new RedisScript(`
local units = tonumber(ARGV[1])
local onceTtl = tonumber(ARGV[2])
local n = #KEYS
local once
if onceTtl > 0 then once = KEYS[n]; n = n - 1 end
if once and units > 0 and redis.call('EXISTS', once) == 1 then return {-1, 0, -1} end
for i = 1, n do
  local limit = tonumber(ARGV[2 * i + 2])
  if limit > 0 then
    local current = tonumber(redis.call('GET', KEYS[i]) or 0)
    if current + units > limit then return {i, current, redis.call('PTTL', KEYS[i])} end
  end
end
local first
for i = 1, n do
  local ttl = tonumber(ARGV[2 * i + 1])
  if ttl > 0 then redis.call('SET', KEYS[i], 0, 'EX', ttl, 'NX') else redis.call('SET', KEYS[i], 0, 'NX') end
  local total = redis.call('INCRBY', KEYS[i], units)
  if i == 1 then first = total end
end
if once then
  if units > 0 then redis.call('SET', once, 1, 'EX', onceTtl) else redis.call('DEL', once) end
end
return {0, first or 0, n > 0 and redis.call('PTTL', KEYS[1]) or -1}
`);

/** Whole seconds, at least 0, as Redis EXPIRE takes them. */
function wholeSecs(ttlSecs: number): number {
  return Math.max(0, Math.floor(ttlSecs));
}

class RedisCounters implements Counters {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async add(key: string, units: number, ttlSecs: number): Promise<CounterValue> {
    const [, total, pttl] = await this.#run([{ key, ttlSecs }], units);
    return { total, msBeforeReset: Math.max(-1, pttl) };
  }

  async remove(key: string, units: number, ttlSecs: number): Promise<void> {
    await this.#run([{ key, ttlSecs }], -units);
  }

  async read(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    this.#checkReady();
    let values: Array<string | null>;
    try {
      values = await this.redis.mget(keys.map((k) => this.#name(k)));
    } catch (err) {
      throw unavailable(err);
    }
    return values.map((v) => Math.max(0, Number(v ?? 0) || 0));
  }

  async addWithin(entries: readonly CounterLimit[], units: number, once?: OnceKey): Promise<AddWithinResult> {
    if (entries.length === 0) return { added: true };
    const [index, current, pttl] = await this.#run(entries, units, once);
    if (index === 0) return { added: true };
    if (index === -1) return { added: true, repeat: true };
    return { added: false, index: index - 1, current, msBeforeReset: Math.max(-1, pttl) };
  }

  async #run(entries: readonly CounterLimit[], units: number, once?: OnceKey): Promise<[number, number, number]> {
    this.#checkReady();
    const keys = entries.map((e) => this.#name(e.key));
    const onceTtl = once ? Math.max(1, wholeSecs(once.ttlSecs)) : 0;
    if (once) keys.push(this.#name(once.key));
    const args: number[] = [units, onceTtl];
    for (const e of entries) args.push(wholeSecs(e.ttlSecs), e.limit !== undefined && e.limit > 0 ? e.limit : 0);
    try {
      const reply = (await ADD_WITHIN.run(this.redis, keys, args)) as [number, number, number];
      return [Number(reply[0]), Number(reply[1]), Number(reply[2])];
    } catch (err) {
      throw unavailable(err);
    }
  }

  /** Fails at once while Redis is down instead of waiting on ioredis's reconnect. */
  #checkReady(): void {
    if (this.redis.status !== 'ready') throw unavailable(new Error(`redis connection is ${this.redis.status}`));
  }

  #name(key: string): string {
    return `${this.keyPrefix}:${key}`;
  }
}

/** How often at most expired memory counters are swept (on the next write). */
const SWEEP_INTERVAL_MS = 60_000;

interface MemoryEntry {
  value: number;
  /** Wall clock, ms; Infinity for a counter without expiry. */
  expiresAtMs: number;
}

/**
 * The same counters in this process: a Map with expiry times checked on access (no timers, so a
 * month's counter is kept as long as any other), swept of expired entries at most once a minute.
 * `addWithin` checks and adds synchronously, so it is atomic within the process as the Redis
 * script is across nodes.
 */
class MemoryCounters implements Counters {
  readonly #entries = new Map<string, MemoryEntry>();
  #sweptAtMs = Date.now();

  async add(key: string, units: number, ttlSecs: number): Promise<CounterValue> {
    const now = Date.now();
    const entry = this.#move(key, units, ttlSecs, now);
    return { total: entry.value, msBeforeReset: entry.expiresAtMs === Infinity ? -1 : entry.expiresAtMs - now };
  }

  async remove(key: string, units: number, ttlSecs: number): Promise<void> {
    this.#move(key, -units, ttlSecs, Date.now());
  }

  async read(keys: readonly string[]): Promise<number[]> {
    const now = Date.now();
    return keys.map((key) => Math.max(0, this.#live(key, now)?.value ?? 0));
  }

  async addWithin(entries: readonly CounterLimit[], units: number, once?: OnceKey): Promise<AddWithinResult> {
    const now = Date.now();
    if (once && units > 0 && this.#live(once.key, now)) return { added: true, repeat: true };
    for (let i = 0; i < entries.length; i++) {
      const { key, limit } = entries[i]!;
      if (limit === undefined || limit <= 0) continue;
      const entry = this.#live(key, now);
      const current = entry?.value ?? 0;
      if (current + units > limit) {
        const msBeforeReset = entry && entry.expiresAtMs !== Infinity ? entry.expiresAtMs - now : -1;
        return { added: false, index: i, current, msBeforeReset };
      }
    }
    for (const e of entries) this.#move(e.key, units, e.ttlSecs, now);
    if (once) {
      this.#entries.delete(once.key);
      if (units > 0) this.#move(once.key, 1, Math.max(1, once.ttlSecs), now);
    }
    return { added: true };
  }

  #live(key: string, now: number): MemoryEntry | undefined {
    const entry = this.#entries.get(key);
    if (!entry || entry.expiresAtMs > now) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  #move(key: string, units: number, ttlSecs: number, now: number): MemoryEntry {
    this.#sweep(now);
    let entry = this.#live(key, now);
    if (!entry) {
      const secs = wholeSecs(ttlSecs);
      entry = { value: 0, expiresAtMs: secs > 0 ? now + secs * 1000 : Infinity };
      this.#entries.set(key, entry);
    }
    entry.value += units;
    return entry;
  }

  #sweep(now: number): void {
    if (now - this.#sweptAtMs < SWEEP_INTERVAL_MS) return;
    this.#sweptAtMs = now;
    for (const [key, entry] of this.#entries) if (entry.expiresAtMs <= now) this.#entries.delete(key);
  }
}

/**
 * Counters under `keyPrefix` (on Redis every key is `<keyPrefix>:<name>`; in memory each call
 * makes a separate store, as each RateLimiterMemory had its own).
 */
export function createCounters(backend: CounterBackend, keyPrefix: string): Counters & Required<Pick<Counters, 'addWithin'>> {
  return backend.kind === 'memory' ? new MemoryCounters() : new RedisCounters(backend.redis, keyPrefix);
}
