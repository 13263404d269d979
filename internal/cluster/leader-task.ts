import type { DurableBus } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import { Lease } from './lease.js';

export interface LeaderTaskOptions {
  /** KV bucket of leases (subjects.leaseBucket) and its TTL, the same for every lease in it. */
  bucket: string;
  ttlMs: number;
  /** The lease key: one leader per key, cluster-wide. */
  key: string;
  nodeId: string;
  /** Time between passes while leading; the first runs as soon as the lease is taken. */
  intervalMs: number;
}

export interface LeaderTaskDeps {
  bus: Pick<DurableBus, 'kv'>;
  logger: Logger;
  /** One pass of the work. A rejection is logged; the next interval tries again. */
  pass(): Promise<void>;
  /** Called on taking the lease, before the first pass (e.g. to forget state kept from an earlier lease). */
  onLead?(): void;
}

/**
 * Periodic work done by one node at a time (expired-media cleanup, the SMPP queue sweeper):
 * every node campaigns for a lease, the holder runs `pass` at once and then every interval,
 * passes never overlap, and on losing the lease or stopping the pass in progress finishes.
 */
export class LeaderTask {
  #lease?: Lease;
  #timer?: NodeJS.Timeout;
  #pass?: Promise<void>;
  #leading = false;

  constructor(
    private readonly options: LeaderTaskOptions,
    private readonly deps: LeaderTaskDeps,
  ) {}

  async start(): Promise<void> {
    const { bucket, ttlMs, key, nodeId } = this.options;
    const kv = await this.deps.bus.kv(bucket, { ttlMs });
    this.#lease = new Lease({ bucket: kv, key, nodeId, ttlMs }, { logger: this.deps.logger });
    this.#lease.onChange((leader) => (leader ? this.lead() : void this.follow()));
    await this.#lease.start();
  }

  /** Steps down (letting a pass in progress finish) and releases the lease. */
  async stop(): Promise<void> {
    await this.#lease?.stop();
    await this.follow();
  }

  /** True while this node holds the lease and runs the passes. */
  leading(): boolean {
    return this.#leading;
  }

  private lead(): void {
    this.#leading = true;
    this.deps.onLead?.();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.tick();
  }

  private async follow(): Promise<void> {
    this.#leading = false;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pass;
  }

  private tick(): void {
    if (this.#pass || !this.#leading) return;
    this.#pass = this.deps
      .pass()
      .catch((err: unknown) => this.deps.logger.warn({ err, task: this.options.key }, 'leader task pass failed; the next one retries'))
      .finally(() => (this.#pass = undefined));
  }
}
