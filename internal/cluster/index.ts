/**
 * The cluster room: what makes many nodes act as one. For now, configuration change
 * propagation (cfg.changed) and /stats scatter-gather; leases and the SMPP session registry
 * join here next.
 */
export { ConfigSync } from './config-sync.js';
export type { ConfigSyncOptions, ConfigSyncDeps } from './config-sync.js';
export { ClusterStats, DEFAULT_GATHER_TIMEOUT_MS } from './stats.js';
export type { NodeStats, NodeStatsSource, ClusterStatsOptions } from './stats.js';
