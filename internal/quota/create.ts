import type { Logger } from '../log/index.js';
import { createApiKeyLimit } from './api-key-limit.js';
import { createCounters, type CounterBackend } from './counters.js';
import { CounterQuotaGate } from './gate.js';
import type { ApiKeyLimit, QuotaGate, QuotaUsage, QuotaView } from './types.js';
import { CounterQuotaUsage } from './usage.js';

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
}

/**
 * Quotas on `backend`: counters on the node's shared Redis client in cluster mode (one Lua script
 * per message), in this process on the embedded default; everything above the counters is the
 * same code.
 * The Redis client stays the caller's to close.
 */
export function createQuota(backend: CounterBackend, options: QuotaOptions, deps: QuotaDeps): Quota {
  const prefix = options.keyPrefix ?? DEFAULT_QUOTA_KEY_PREFIX;
  const counters = createCounters(backend, `${prefix}:quota`);
  return {
    gate: new CounterQuotaGate({ counters, view: deps.view, logger: deps.logger, now: deps.now }),
    usage: new CounterQuotaUsage({ counters, now: deps.now }),
    apiKeyLimit: createApiKeyLimit(createCounters(backend, `${prefix}:apikey`)),
  };
}
