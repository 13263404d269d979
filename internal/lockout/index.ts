/**
 * The lockout room: failed logins counted per source across the cluster (Redis) or in this
 * process (embedded default), for every door that checks a password: SMPP binds, REST client
 * logins and the admin API key. Counted per IP, per network (IPv4 /24, IPv6 /64) and per
 * username, with the sources a username logged in from exempt from the last two. Also the
 * fixed delay every failed login is answered after.
 */
export type { LoginAttempt, LoginGate, LoginLimiter, LoginLimits, LockoutScope } from './types.js';
export { KNOWN_SOURCE_TTL_MS } from './types.js';
export { createLoginLimiter } from './create.js';
export type { LockoutBackend, LockoutOptions } from './create.js';
export { MemoryLoginLimiter, MAX_FAILURE_COUNTS, MAX_KNOWN_SOURCES } from './memory.js';
export type { MemoryLoginLimiterOptions } from './memory.js';
export { RedisLoginLimiter } from './redis.js';
export type { RedisLoginLimiterOptions } from './redis.js';
export { FallbackLoginLimiter } from './fallback.js';
export { FailureDelay } from './failure-delay.js';
export { networkOf } from './keys.js';
