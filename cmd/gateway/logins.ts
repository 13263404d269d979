/**
 * The node's failed-login limiter, shared by the SMPP binds and the REST logins: on the node's
 * Redis client in cluster mode (one count for every node, this node's own while Redis is down),
 * in memory on the embedded default.
 */
import type { Redis } from '../../internal/redis/index.js';
import type { Config } from '../../internal/config/index.js';
import { createLoginLimiter, type LoginLimiter } from '../../internal/lockout/index.js';
import type { Logger } from '../../internal/log/index.js';

/** Keys are namespaced by the bus subject prefix, like the quota counters: clusters sharing a Redis keep apart. */
export function nodeLogins(config: Config, redis: Redis | undefined, logger: Logger): LoginLimiter {
  const prefix = config.bus.subjectPrefix;
  const keyPrefix = `msggw:${prefix ? `${prefix}:` : ''}login`;
  return createLoginLimiter(
    redis ? { kind: 'redis', redis } : { kind: 'memory' },
    { limits: config.lockout, keyPrefix },
    { logger: logger.child({ room: 'lockout' }) },
  );
}
