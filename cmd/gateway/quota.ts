/**
 * The node's Redis client and quotas. In cluster mode (REDIS_URL) the node connects once and
 * every room that keeps cluster-wide state in Redis shares that client (quotas, auto-reply
 * cooldowns); on the embedded default there is no client and quotas count in memory.
 */
import { closeRedis, connectRedis, type Redis } from '../../internal/redis/index.js';
import type { Config } from '../../internal/config/index.js';
import { LogEvent, type Logger } from '../../internal/log/index.js';
import type { Metrics } from '../../internal/metrics/index.js';
import { createQuota, DEFAULT_QUOTA_KEY_PREFIX, type Quota, type QuotaGate, type QuotaView } from '../../internal/quota/index.js';
import type { TrackStop } from './context.js';

/** Connects to REDIS_URL (undefined without one); `track` is given its close at once. */
export async function connectNodeRedis(config: Config, logger: Logger, track: TrackStop): Promise<Redis | undefined> {
  if (config.quota.kind !== 'redis') return undefined;
  const redis = await connectRedis(config.quota.url, { logger: logger.child({ room: 'redis' }), connectionName: config.node.serverId });
  track('redis', () => closeRedis(redis));
  return redis;
}

/**
 * Quotas on the node's Redis client, or in memory without one. Counters are namespaced by the
 * bus subject prefix, so clusters (or test runs) sharing one Redis keep their own counts.
 */
export function nodeQuota(config: Config, redis: Redis | undefined, view: QuotaView, logger: Logger, metrics: Metrics): Quota {
  const prefix = config.bus.subjectPrefix;
  const keyPrefix = prefix ? `${DEFAULT_QUOTA_KEY_PREFIX}:${prefix}` : DEFAULT_QUOTA_KEY_PREFIX;
  const quotaLogger = logger.child({ room: 'quota' });
  const quota = createQuota(redis ? { kind: 'redis', redis } : { kind: 'memory' }, { keyPrefix }, { view, logger: quotaLogger });
  return { ...quota, gate: countingRefusals(quota.gate, view, metrics, quotaLogger) };
}

/**
 * Every path (REST, SMPP, MM4, inbound) admits through this one gate: refusals are counted here,
 * by client username (only admitted clients reach a quota, so the label set is the configured clients).
 */
function countingRefusals(gate: QuotaGate, view: QuotaView, metrics: Metrics, logger: Logger): QuotaGate {
  return {
    admit: async (request) => {
      const decision = await gate.admit(request);
      if (!decision.admitted) {
        const client = view.client(request.clientId)?.username ?? 'unknown';
        const { type, period, limitType, limit, currentUsage } = decision.refusal;
        metrics.quotaRejections.inc({ type, period, client });
        logger.info(
          {
            event: LogEvent.MessageLimitExceeded,
            client,
            number: request.number,
            direction: request.direction,
            limitType,
            limit,
            currentUsage,
          },
          'message refused by a quota',
        );
      }
      return decision;
    },
  };
}
