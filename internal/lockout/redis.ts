import { RedisScript, safeRedisError, type Redis } from '../redis/index.js';
import { UnavailableError } from '../errors/index.js';
import { attemptKeys } from './keys.js';
import { KNOWN_SOURCE_TTL_MS, type LockoutScope, type LoginAttempt, type LoginGate, type LoginLimiter, type LoginLimits } from './types.js';

// KEYS: the IP, network and username counts, then the known-source marker. ARGV[1..3]: their
// limits (0: not checked), ARGV[4]: '1' when the marker is meaningful (a username was given).
// A known source is refused only by its IP count. Returns {i, PTTL} of the first count at its
// limit, {0, 0} when none is.
const ADMIT = new RedisScript(`
local known = ARGV[4] == '1' and redis.call('EXISTS', KEYS[4]) == 1
for i = 1, 3 do
  local limit = tonumber(ARGV[i])
  if limit > 0 and not (known and i > 1) then
    local n = tonumber(redis.call('GET', KEYS[i]) or '0')
    if n >= limit then return {i, redis.call('PTTL', KEYS[i])} end
  end
end
return {0, 0}
`);

// KEYS: the IP, network and username counts. ARGV[1]: the window, ms; ARGV[2..4]: the limits
// (a count whose limit is 0 is not kept). A count's window starts at its first failure.
const FAIL = new RedisScript(`
for i = 1, #KEYS do
  if tonumber(ARGV[i + 1]) > 0 then
    redis.call('INCR', KEYS[i])
    if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
  end
end
return 0
`);

const SCOPES: readonly LockoutScope[] = ['ip', 'network', 'user'];

export interface RedisLoginLimiterOptions {
  limits: LoginLimits;
  /** Namespace of every key, e.g. `msggw:login` (each test or cluster its own). */
  keyPrefix: string;
}

/**
 * Counts on Redis, shared by every node: each call is one script (one round trip), every key
 * has a TTL (a window, or KNOWN_SOURCE_TTL_MS for a known source). Rejects with
 * UnavailableError at once while Redis is not connected.
 */
export class RedisLoginLimiter implements LoginLimiter {
  constructor(
    private readonly options: RedisLoginLimiterOptions,
    private readonly redis: Redis,
  ) {}

  async admit(attempt: LoginAttempt): Promise<LoginGate> {
    const keys = this.#keys(attempt);
    const { perIp, perNetwork, perUser } = this.options.limits;
    const args = [perIp, keys.hasNetwork ? perNetwork : 0, keys.hasUser ? perUser : 0, keys.hasUser ? '1' : '0'];
    const [index, pttl] = (await this.#run(ADMIT, [...keys.counts, keys.known], args)) as [number, number];
    if (Number(index) === 0) return { allowed: true };
    return { allowed: false, scope: SCOPES[Number(index) - 1] as LockoutScope, retryAfterMs: Math.max(0, Number(pttl)) };
  }

  async fail(attempt: LoginAttempt): Promise<void> {
    const keys = this.#keys(attempt);
    const { windowMs, perIp, perNetwork, perUser } = this.options.limits;
    await this.#run(FAIL, keys.counts, [windowMs, perIp, keys.hasNetwork ? perNetwork : 0, keys.hasUser ? perUser : 0]);
  }

  async succeed(attempt: LoginAttempt): Promise<void> {
    const { known } = attemptKeys(attempt);
    if (known === undefined) return;
    this.#checkReady();
    try {
      await this.redis.set(this.#name(known), '1', 'PX', KNOWN_SOURCE_TTL_MS);
    } catch (err) {
      throw unavailable(err);
    }
  }

  /** The three counts (a placeholder name where a count does not apply) and the marker. */
  #keys(attempt: LoginAttempt): { counts: string[]; known: string; hasNetwork: boolean; hasUser: boolean } {
    const k = attemptKeys(attempt);
    const none = this.#name('-');
    return {
      counts: [this.#name(k.ip), k.network ? this.#name(k.network) : none, k.user ? this.#name(k.user) : none],
      known: k.known ? this.#name(k.known) : none,
      hasNetwork: k.network !== undefined,
      hasUser: k.user !== undefined,
    };
  }

  async #run(script: RedisScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    this.#checkReady();
    try {
      return await script.run(this.redis, keys, args);
    } catch (err) {
      throw unavailable(err);
    }
  }

  /** Fails at once while Redis is down instead of waiting on ioredis's reconnect. */
  #checkReady(): void {
    if (this.redis.status !== 'ready') throw unavailable(new Error(`redis connection is ${this.redis.status}`));
  }

  #name(key: string): string {
    return `${this.options.keyPrefix}:${key}`;
  }
}

function unavailable(err: unknown): UnavailableError {
  return new UnavailableError('the login failure counts are unavailable', { cause: safeRedisError(err) });
}
