/**
 * The bus room's door. Other rooms import from here only, and receive a `Bus`, never a NATS
 * connection. `createBus` picks the implementation: NATS in a cluster, memory when embedded.
 */
import { MemoryBus, MemoryBusHub, type MemoryBusOptions } from './memory.js';
import { NatsBus } from './nats.js';
import type { Bus, BusDeps, NatsBusOptions } from './types.js';

export type {
  Bus,
  BusDeps,
  BusHandler,
  BusLogger,
  BusMsg,
  BusSubscription,
  GatherOptions,
  NatsBusOptions,
  RequestOptions,
} from './types.js';
export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_RECONNECT_WAIT_MS } from './types.js';
export type {
  ConsumeOptions,
  Consumer,
  ConsumerSpec,
  DurableBus,
  DurableHandler,
  DurableMsg,
  KvBucket,
  KvEntry,
  Outcome,
  PublishAck,
  PublishOptions,
  Retention,
  ConsumerState,
  StreamMessage,
  StreamSpec,
  StreamState,
} from './durable-types.js';
export {
  ack,
  retry,
  term,
  maxDeliverFor,
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_MAX_DELIVER,
  DEFAULT_MAX_ACK_PENDING,
  DEFAULT_PUBLISH_TIMEOUT_MS,
} from './durable-types.js';
export { DeadLetterStore, MAX_DEAD_LETTER_PAGE } from './dead-letters.js';
export type { DeadLetterEntry, DeadLetterPage, ReplayResult } from './dead-letters.js';
export { MemoryBusHub } from './memory.js';
export type { MemoryBusOptions } from './memory.js';
export { backoffDelay } from './backoff.js';

export type BusConfig =
  /** In-process. Buses given the same `hub` see each other (several nodes in one process). */
  | ({ kind: 'memory'; hub?: MemoryBusHub } & MemoryBusOptions)
  /** nats-server(s); see NatsBusOptions for the timeouts. */
  | ({ kind: 'nats' } & NatsBusOptions);

/** Builds a bus; call `start()` before use and `stop()` at shutdown. */
export function createBus(cfg: BusConfig, deps: BusDeps): Bus {
  switch (cfg.kind) {
    case 'memory':
      return new MemoryBus(cfg.hub ?? new MemoryBusHub(), deps, cfg);
    case 'nats':
      return new NatsBus(cfg, deps);
  }
}
