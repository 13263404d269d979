/**
 * The cluster room: what makes many nodes act as one: configuration change propagation
 * (cfg.changed), /stats scatter-gather, leases (leader election on the bus's KV) and the record
 * of every SMPP bind in the cluster (bind-registry.ts).
 */
export { ConfigSync } from './config-sync.js';
export type { ConfigSyncOptions, ConfigSyncDeps } from './config-sync.js';
export { ClusterStats, DEFAULT_GATHER_TIMEOUT_MS } from './stats.js';
export type { NodeStats, NodeStatsSource, ClusterStatsOptions } from './stats.js';
export { readQueues } from './queue-depth.js';
export type { QueueDepthDeps } from './queue-depth.js';
export { ensureStreams, streamSpecs, DEFAULT_CLIENT_QUEUE_MAX_AGE_MS, DUPLICATE_WINDOW_MS } from './streams.js';
export type { StreamOptions } from './streams.js';
export { Lease, LEASE_STEP_DOWN_TIMEOUT_MS, LEASE_TTL_MS } from './lease.js';
export type { LeaseOptions, LeaseDeps, LeaseListener } from './lease.js';
export { LeaderTask } from './leader-task.js';
export type { LeaderTaskOptions, LeaderTaskDeps } from './leader-task.js';
export { BindRegistry, DEFAULT_BIND_TTL_MS } from './bind-registry.js';
export type {
  BindRegistryOptions,
  BindRegistryDeps,
  BindRecord,
  BindClaim,
  BindSlot,
  BindMode,
  ReceiverLookup,
  ReceiverNode,
} from './bind-registry.js';
