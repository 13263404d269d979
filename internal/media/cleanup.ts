import type { Subjects } from '../../proto/subjects.js';
import type { Bus } from '../bus/index.js';
import { Lease } from '../cluster/index.js';
import type { Logger } from '../log/index.js';
import type { MediaStore } from './ports.js';

/** The lease bucket's TTL, shared with the carrier egress and the SMPP sweeper (one bucket, one TTL). */
export const DEFAULT_CLEANUP_LEASE_TTL_MS = 6_000;
const LEASE_KEY = 'media-cleanup';

export interface MediaCleanupOptions {
  subjects: Subjects;
  nodeId: string;
  /** MEDIA_CLEANUP_INTERVAL_SECS in milliseconds. */
  intervalMs: number;
  leaseTtlMs?: number;
}

export interface MediaCleanupDeps {
  bus: Bus;
  media: Pick<MediaStore, 'deleteExpired'>;
  logger: Logger;
}

/**
 * Deletes expired media files, on one node at a time: every node campaigns for the
 * `media-cleanup` lease; the holder runs a pass at once and then every interval. Two nodes
 * deleting together would be harmless, but N nodes scanning the same index N times is waste.
 */
export class MediaCleanup {
  #lease?: Lease;
  #timer?: NodeJS.Timeout;
  #pass?: Promise<void>;

  constructor(
    private readonly options: MediaCleanupOptions,
    private readonly deps: MediaCleanupDeps,
  ) {}

  async start(): Promise<void> {
    const ttlMs = this.options.leaseTtlMs ?? DEFAULT_CLEANUP_LEASE_TTL_MS;
    const bucket = await this.deps.bus.kv(this.options.subjects.leaseBucket, { ttlMs });
    this.#lease = new Lease({ bucket, key: LEASE_KEY, nodeId: this.options.nodeId, ttlMs }, { logger: this.deps.logger });
    this.#lease.onChange((leader) => (leader ? this.lead() : this.follow()));
    await this.#lease.start();
  }

  /** Steps down (letting a pass in progress finish) and releases the lease. */
  async stop(): Promise<void> {
    await this.#lease?.stop();
    await this.follow();
  }

  /** True while this node runs the cleanup. */
  leading(): boolean {
    return this.#lease?.isLeader() ?? false;
  }

  private lead(): void {
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.tick();
  }

  private async follow(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pass;
  }

  private tick(): void {
    if (this.#pass) return;
    this.#pass = this.deps.media.deleteExpired()
      .then((deleted) => {
        if (deleted > 0) this.deps.logger.info({ deleted }, 'expired media files deleted');
      })
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'media cleanup failed; the next pass retries'))
      .finally(() => (this.#pass = undefined));
  }
}
