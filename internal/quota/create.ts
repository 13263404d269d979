import type { Logger } from '../log/index.js';
import { createApiKeyLimit } from './api-key-limit.js';
import { createCounters, type CounterBackend } from './counters.js';
import { CounterQuotaGate } from './gate.js';
import type { ApiKeyLimit, QuotaGate, QuotaUsage, QuotaView } from './types.js';
import { CounterQuotaUsage } from './usage.js';
import { WriteBehindCounters } from './write-behind.js';

/** Prefix of every Redis key the quota room writes. */
export const DEFAULT_QUOTA_KEY_PREFIX = 'msggw';

export interface QuotaOptions {
  /** Namespace of the counters in Redis (tests and several clusters on one Redis). Default DEFAULT_QUOTA_KEY_PREFIX. */
  keyPrefix?: string;
}

export interface QuotaDeps {
  view: QuotaView;
  logger: Logger;
  /** Injectable clock, ms since the epoch. Default Date.now. */
  now?: () => number;
}

/** The quota room's three faces, on one set of counters. */
export interface Quota {
  gate: QuotaGate;
  usage: QuotaUsage;
  apiKeyLimit: ApiKeyLimit;
  /** Writes the counts still held here (write-behind.ts); call before the Redis client closes. */
  close(): Promise<void>;
}

/**
 * Quotas on `backend`: counters on the node's shared Redis client in cluster mode (one Lua script
 * per message with a limit to check; the counts of messages without one are written behind, a
 * few calls every WRITE_BEHIND_MS), in this process on the embedded default; everything above
 * the counters is the same code.
 * The Redis client stays the caller's to close.
 */
export function createQuota(backend: CounterBackend, options: QuotaOptions, deps: QuotaDeps): Quota {
  const prefix = options.keyPrefix ?? DEFAULT_QUOTA_KEY_PREFIX;
  const shared = createCounters(backend, `${prefix}:quota`);
  // In memory a count costs nothing to write at once: only Redis counters are written behind.
  const behind = backend.kind === 'redis' ? new WriteBehindCounters(shared, { logger: deps.logger }) : undefined;
  const counters = behind ?? shared;
  return {
    gate: new CounterQuotaGate({ counters, view: deps.view, logger: deps.logger, now: deps.now }),
    usage: new CounterQuotaUsage({ counters, now: deps.now }),
    apiKeyLimit: createApiKeyLimit(createCounters(backend, `${prefix}:apikey`)),
    close: async () => behind?.close(),
  };
}
