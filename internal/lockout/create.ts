import type { Redis } from '../redis/index.js';
import type { Logger } from '../log/index.js';
import { FallbackLoginLimiter } from './fallback.js';
import { MemoryLoginLimiter } from './memory.js';
import { RedisLoginLimiter } from './redis.js';
import type { LoginLimiter, LoginLimits } from './types.js';

/** Where the counts live: the node's shared Redis client (cluster) or this process (embedded default). */
export type LockoutBackend = { kind: 'redis'; redis: Redis } | { kind: 'memory' };

export interface LockoutOptions {
  limits: LoginLimits;
  /** Namespace of the Redis keys, e.g. `msggw:login` or `msggw:<bus prefix>:login`. */
  keyPrefix: string;
}

/**
 * The node's login limiter: on Redis (shared by the cluster, with this node's memory counts
 * while Redis is down), or in memory on the embedded default. The Redis client stays the
 * caller's to close.
 */
export function createLoginLimiter(backend: LockoutBackend, options: LockoutOptions, deps: { logger: Logger }): LoginLimiter {
  const local = new MemoryLoginLimiter({ limits: options.limits });
  if (backend.kind === 'memory') return local;
  const shared = new RedisLoginLimiter({ limits: options.limits, keyPrefix: options.keyPrefix }, backend.redis);
  return new FallbackLoginLimiter(shared, local, deps);
}
