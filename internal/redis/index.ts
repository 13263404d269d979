/**
 * The redis room: the one Redis client a node shares between the rooms that keep cluster-wide
 * state in Redis (connectRedis, closeRedis), and the helpers those rooms use with it.
 */
export { connectRedis, closeRedis, safeRedisError, DEFAULT_REDIS_READY_TIMEOUT_MS, DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from './client.js';
export type { Redis, ConnectRedisOptions } from './client.js';
export { RedisScript } from './script.js';
