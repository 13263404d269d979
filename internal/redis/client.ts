/**
 * The gateway's Redis client, shared by the rooms that keep cluster-wide state in Redis (SMPP
 * reassembly, quotas, login lockout, auto-reply cooldowns). cmd makes one per node with
 * connectRedis(cfg.quota.url) and hands it to those rooms' Redis implementations; it closes it
 * with closeRedis() after they have stopped.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { redactUrlCredentials } from '../config/index.js';
import { UnavailableError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

export type { Redis } from 'ioredis';

/** Start-up waits this long for Redis: a wrong URL fails the node with a clear error, not a hang. */
export const DEFAULT_REDIS_READY_TIMEOUT_MS = 5_000;
/**
 * A command without a reply within this is rejected. Gateway commands take microseconds; one
 * that waits seconds means Redis is stuck or unreachable, and the caller (an SMPP submit, a quota
 * check) should answer "try later" rather than hold the client's window.
 */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** TCP connect plus handshake; loopback or LAN Redis answers in milliseconds. */
const CONNECT_TIMEOUT_MS = 3_000;
/** Reconnect backoff: 100 ms doubling to 2 s, plus jitter so a cluster's nodes don't stampede. */
const RECONNECT_BASE_MS = 100;
const RECONNECT_MAX_MS = 2_000;
const RECONNECT_JITTER_MS = 100;
/** How long closeRedis waits for QUIT before dropping the socket. */
const QUIT_TIMEOUT_MS = 1_000;

export interface ConnectRedisOptions {
  logger: Logger;
  /** Default DEFAULT_REDIS_READY_TIMEOUT_MS. */
  readyTimeoutMs?: number;
  /** Default DEFAULT_REDIS_COMMAND_TIMEOUT_MS. */
  commandTimeoutMs?: number;
  /** CLIENT SETNAME, shown in CLIENT LIST (e.g. the node id). */
  connectionName?: string;
}

/**
 * Connects to `url` (redis:// or rediss://) and resolves once the server is ready; rejects with
 * UnavailableError when it is not ready within `readyTimeoutMs` (the client is then closed).
 *
 * The client fails fast instead of queueing: a command sent while disconnected rejects at once,
 * one without a reply rejects after `commandTimeoutMs`, and nothing is replayed after a
 * reconnect (a caller that saw a failure must not have its command run later behind its back).
 * It reconnects forever with backoff. Connection errors are logged once per outage, with the
 * URL's password hidden and without the failed command's arguments (AUTH carries the password).
 */
export async function connectRedis(url: string, opts: ConnectRedisOptions): Promise<Redis> {
  const safeUrl = redactUrlCredentials(url);
  const redis = new Redis(url, redisOptions(opts));
  watchConnection(redis, opts.logger.child({ redis: safeUrl }));
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_REDIS_READY_TIMEOUT_MS;
  try {
    await waitReady(redis, readyTimeoutMs);
  } catch (err) {
    redis.disconnect();
    throw new UnavailableError(`redis ${safeUrl} not ready within ${readyTimeoutMs} ms`, { cause: err });
  }
  return redis;
}

/** Closes `redis` politely (QUIT), or drops the socket if Redis does not answer. Never throws. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const quit = redis.quit().then(
    () => true,
    () => false,
  );
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, QUIT_TIMEOUT_MS, false);
  });
  const quitted = await Promise.race([quit, timedOut]);
  clearTimeout(timer);
  if (!quitted) redis.disconnect();
}

/**
 * A copy of a Redis error that is safe to log or keep as a cause: name, message and code only.
 * ioredis attaches the failed command with its arguments, which may hold a password or message
 * content.
 */
export function safeRedisError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const copy = new Error(err.message);
  copy.name = err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}

function redisOptions(opts: ConnectRedisOptions): RedisOptions {
  return {
    connectionName: opts.connectionName,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: opts.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    // Fail fast (see connectRedis); rate-limiter-flexible recommends the same for ioredis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    retryStrategy: reconnectDelayMs,
    // The commands queued in one event-loop turn (ioredis waits for setImmediate) go out as one
    // pipeline, in one write, instead of one write each.
    enableAutoPipelining: true,
  };
}

function reconnectDelayMs(attempt: number): number {
  const backoff = Math.min(RECONNECT_BASE_MS * 2 ** Math.min(attempt - 1, 10), RECONNECT_MAX_MS);
  return backoff + Math.floor(Math.random() * RECONNECT_JITTER_MS);
}

/** Logs the first error of an outage and the recovery; repeats while down go to debug. */
function watchConnection(redis: Redis, logger: Logger): void {
  let down = false;
  redis.on('error', (err: unknown) => {
    const safe = safeRedisError(err);
    const fields = { err: { name: safe.name, message: safe.message } };
    if (down) {
      logger.debug(fields, 'redis still unavailable');
      return;
    }
    down = true;
    logger.error(fields, 'redis connection error; reconnecting');
  });
  redis.on('ready', () => {
    if (down) logger.info('redis connection restored');
    down = false;
  });
}

/** Resolves on 'ready'; rejects after `timeoutMs` with the last connection error as cause. */
function waitReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: unknown): void => {
      lastError = safeRedisError(err);
    };
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    const onReady = (): void => {
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(lastError ?? new Error(`no ready reply (status ${redis.status})`));
    }, timeoutMs);
    redis.on('error', onError);
    redis.once('ready', onReady);
  });
}
