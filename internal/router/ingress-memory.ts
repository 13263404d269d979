import type { KvBucket } from '../bus/index.js';
import { sha256Hex } from '../crypto/index.js';
import type { Logger } from '../log/index.js';

/**
 * Which caller-given keys were stored already; see IngressRouter.accept. Kept for
 * INGRESS_DEDUP_HOURS (default 6): the bus drops a repeat only within its 2-minute dedup window,
 * and a carrier retrying a webhook it thinks failed, or an MMSC whose 250 got lost, comes back
 * after minutes or hours (an MTA's retries back off from 5 minutes to an hour).
 */
export interface IngressMemory {
  /** True when `key` was stored within INGRESS_DEDUP_HOURS. */
  seen(key: string): Promise<boolean>;
  remember(key: string): Promise<void>;
}

/**
 * The memory on a KV bucket with a TTL (NATS KV in a cluster, the in-process one embedded), keyed
 * by the SHA-256 of the caller's key (KV keys allow few characters; MM4 ids hold '<', '@', '>').
 * It only saves work and duplicates: when the bucket cannot be read or written, the message goes
 * on as if new and the bus's own dedup window still applies, so a KV outage refuses nothing.
 */
export function kvIngressMemory(open: () => Promise<KvBucket>, logger: Logger): IngressMemory {
  let bucket: Promise<KvBucket> | undefined;
  const kv = () =>
    (bucket ??= open().catch((err: unknown) => {
      bucket = undefined;
      throw err;
    }));
  return {
    async seen(key) {
      try {
        return (await (await kv()).get(sha256Hex(key))) !== null;
      } catch (err) {
        logger.warn({ err }, 'ingress memory unavailable; taking the message as new');
        return false;
      }
    },
    async remember(key) {
      try {
        await (await kv()).create(sha256Hex(key), '1');
      } catch (err) {
        logger.warn({ err }, 'ingress memory unavailable; a late repeat of this message may enter again');
      }
    },
  };
}
