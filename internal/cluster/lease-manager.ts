import type { BusLogger, KvBucket } from '../bus/index.js';
import { Lease } from './lease.js';

export interface LeaseManagerOptions {
  /** The lease bucket; its TTL must equal `ttlMs`. */
  bucket: KvBucket;
  nodeId: string;
  ttlMs: number;
}

export interface LeaseManagerDeps {
  logger?: BusLogger;
}

/** Called when this node gains (true) or loses (false) the lease on `key`; see LeaseListener. */
export type LeaseManagerListener = (key: string, leader: boolean) => void | Promise<void>;

/**
 * Many leases in one bucket, by key (one per carrier): `ensure(key)` campaigns for a key
 * from now on, `release(key)` steps down and frees it, stop() releases them all. Listeners
 * hear every key's changes.
 */
export class LeaseManager {
  readonly #opts: LeaseManagerOptions;
  readonly #deps: LeaseManagerDeps;
  readonly #leases = new Map<string, Lease>();
  readonly #listeners = new Set<LeaseManagerListener>();

  constructor(opts: LeaseManagerOptions, deps: LeaseManagerDeps = {}) {
    this.#opts = opts;
    this.#deps = deps;
  }

  /** The lease on `key`, started (after its first campaign). Calling it again is harmless. */
  async ensure(key: string): Promise<Lease> {
    let lease = this.#leases.get(key);
    if (!lease) {
      lease = new Lease({ bucket: this.#opts.bucket, key, nodeId: this.#opts.nodeId, ttlMs: this.#opts.ttlMs }, this.#deps);
      lease.onChange((leader) => this.#notify(key, leader));
      this.#leases.set(key, lease);
    }
    await lease.start();
    return lease;
  }

  /** Stops campaigning for `key`; steps down and frees it if held. No-op for an unknown key. */
  async release(key: string): Promise<void> {
    const lease = this.#leases.get(key);
    if (!lease) return;
    this.#leases.delete(key);
    await lease.stop();
  }

  isLeader(key: string): boolean {
    return this.#leases.get(key)?.isLeader() ?? false;
  }

  /** The fencing token of our leadership on `key`; undefined when not leader. */
  token(key: string): number | undefined {
    return this.#leases.get(key)?.token();
  }

  /** Keys this node campaigns for or leads. */
  keys(): string[] {
    return [...this.#leases.keys()];
  }

  /** Adds a listener for every key; returns its remover. */
  onChange(cb: LeaseManagerListener): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  /** Releases every lease (lame duck: followers elsewhere take over at once). */
  async stop(): Promise<void> {
    const keys = this.keys();
    const results = await Promise.allSettled(keys.map((k) => this.release(k)));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (errors.length) throw new AggregateError(errors, `releasing ${errors.length} lease(s) failed`);
  }

  #notify(key: string, leader: boolean): void | Promise<void> {
    const pending: Promise<void>[] = [];
    for (const cb of [...this.#listeners]) {
      try {
        const r = cb(key, leader);
        if (r instanceof Promise) pending.push(r);
      } catch (err) {
        this.#deps.logger?.error({ err, key }, 'lease: listener failed');
      }
    }
    if (pending.length) return Promise.allSettled(pending).then(() => undefined);
  }
}
