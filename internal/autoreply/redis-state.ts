import { safeRedisError, type Redis } from '../redis/index.js';
import { UnavailableError } from '../errors/index.js';
import type { AutoReplyState } from './types.js';

/**
 * Opt-outs expire after this long without a new STOP: a pair silent for two years no longer
 * matters, and Redis never holds pairs forever. Carriers keep the authoritative opt-out lists.
 */
export const OPT_OUT_TTL_MS = 2 * 365 * 86_400_000;

export interface RedisAutoReplyStateOptions {
  /** Prepended to every key, e.g. `msggw:autoreply:`; tests use a unique one each. */
  keyPrefix: string;
}

export interface RedisAutoReplyStateDeps {
  /** A client from connectRedis (fails fast when Redis is down). Shared: never closed here. */
  redis: Redis;
}

/**
 * Auto-reply state in Redis, so a cooldown started on one node holds on every node (upstream
 * kept it per process, lost on restart: §13.5, BUG-25). A cooldown is one key per pair, set with
 * SET NX PX: the first node to set it replies, and Redis expires it. Every Redis failure rejects
 * with UnavailableError.
 */
export class RedisAutoReplyState implements AutoReplyState {
  constructor(
    private readonly options: RedisAutoReplyStateOptions,
    private readonly deps: RedisAutoReplyStateDeps,
  ) {}

  claimCooldown(number: string, sender: string, holder: string, ttlMs: number): Promise<boolean> {
    const key = this.key('cd', number, sender);
    return this.call(async (redis) => {
      if ((await redis.set(key, holder, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) === 'OK') return true;
      // Held already: by this same message when it is redelivered (e.g. the reply's publish
      // failed and the router retries), else by an earlier message whose cooldown runs.
      return (await redis.get(key)) === holder;
    });
  }

  setOptOut(number: string, sender: string, optedOut: boolean): Promise<void> {
    const key = this.key('optout', number, sender);
    return this.call(async (redis) => {
      if (optedOut) await redis.set(key, '1', 'PX', OPT_OUT_TTL_MS);
      else await redis.del(key);
    });
  }

  isOptedOut(number: string, sender: string): Promise<boolean> {
    const key = this.key('optout', number, sender);
    return this.call(async (redis) => (await redis.exists(key)) === 1);
  }

  private key(kind: string, number: string, sender: string): string {
    return `${this.options.keyPrefix}${kind}:${number}:${sender}`;
  }

  private async call<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      return await fn(this.deps.redis);
    } catch (err) {
      throw new UnavailableError('auto-reply state (redis) unavailable', { cause: safeRedisError(err) });
    }
  }
}
