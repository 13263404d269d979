import { decodeConfigChange, encodeConfigChange, type ConfigChange } from '../../proto/config-change.js';
import type { Bus, BusSubscription } from '../bus/index.js';
import type { ConfigChanges, Directory } from '../directory/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';

export interface ConfigSyncOptions {
  nodeId: string;
  /** Subject of cfg.changed (proto/subjects.ts). */
  subject: string;
}

export interface ConfigSyncDeps {
  bus: Bus;
  directory: Directory;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * Cluster-wide configuration: a change written through the admin API on any node is applied
 * to that node's directory before the API answers, then announced on cfg.changed so every other
 * node reloads the same entity (within milliseconds). Events carry ids, not data, so a
 * duplicated or reordered event only causes a harmless re-read.
 */
export class ConfigSync implements ConfigChanges {
  #subscription?: BusSubscription;

  constructor(
    private readonly options: ConfigSyncOptions,
    private readonly deps: ConfigSyncDeps,
  ) {}

  async start(): Promise<void> {
    this.#subscription = await this.deps.bus.subscribe(this.options.subject, (msg) => this.receive(msg.data));
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }

  async announce(change: Omit<ConfigChange, 'v' | 'origin' | 'at'>): Promise<ConfigChange> {
    const full: ConfigChange = { v: 1, ...change, origin: this.options.nodeId, at: Date.now() };
    await this.deps.directory.apply(full);
    this.deps.metrics?.configChanges.inc({ kind: full.kind, source: 'local' });
    try {
      await this.deps.bus.publish(this.options.subject, encodeConfigChange(full));
    } catch (err) {
      // The write is already durable; other nodes catch up on their periodic full reload.
      this.deps.logger.warn({ err, change: full }, 'could not announce a configuration change');
    }
    return full;
  }

  private async receive(data: Uint8Array): Promise<void> {
    let change: ConfigChange;
    try {
      change = decodeConfigChange(data);
    } catch (err) {
      this.deps.logger.warn({ err }, 'ignoring a malformed cfg.changed event');
      return;
    }
    if (change.origin === this.options.nodeId) return;
    try {
      await this.deps.directory.apply(change);
      this.deps.metrics?.configChanges.inc({ kind: change.kind, source: 'remote' });
    } catch (err) {
      this.deps.logger.warn({ err, change }, 'could not apply a configuration change; the next full reload will');
    }
  }
}
