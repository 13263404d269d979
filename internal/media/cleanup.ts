import type { Subjects } from '../../proto/subjects.js';
import type { Bus } from '../bus/index.js';
import { LeaderTask, LEASE_TTL_MS } from '../cluster/index.js';
import type { Logger } from '../log/index.js';
import type { MediaStore } from './ports.js';

/** The lease bucket's TTL, shared with the carrier egress and the SMPP sweeper (one bucket, one TTL). */
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
  readonly #task: LeaderTask;

  constructor(
    options: MediaCleanupOptions,
    private readonly deps: MediaCleanupDeps,
  ) {
    this.#task = new LeaderTask(
      {
        bucket: options.subjects.leaseBucket,
        ttlMs: options.leaseTtlMs ?? LEASE_TTL_MS,
        key: LEASE_KEY,
        nodeId: options.nodeId,
        intervalMs: options.intervalMs,
      },
      { bus: deps.bus, logger: deps.logger, pass: () => this.pass() },
    );
  }

  start(): Promise<void> {
    return this.#task.start();
  }

  /** Steps down (letting a pass in progress finish) and releases the lease. */
  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** True while this node runs the cleanup. */
  leading(): boolean {
    return this.#task.leading();
  }

  private async pass(): Promise<void> {
    const deleted = await this.deps.media.deleteExpired();
    if (deleted > 0) this.deps.logger.info({ deleted }, 'expired media files deleted');
  }
}
