import type { Subjects } from '../../proto/subjects.js';
import type { KvBucket } from '../bus/index.js';
import { Lease, LEASE_TTL_MS } from '../cluster/index.js';
import type { Carrier } from '../store/index.js';
import { CarrierWorker, type CarrierWorkerDeps } from './carrier-worker.js';

/** How often the set of carriers is compared with the directory (new or deleted carriers). */
const RECONCILE_MS = 1_000;

export interface CarrierEgressOptions {
  nodeId: string;
  subjects: Subjects;
  serverAddress: string;
  retries: number;
  timeoutMs: number;
  retryDelayMs: number;
  leaseTtlMs?: number;
  /** See CarrierWorkerOptions.maxDeliver. */
  maxDeliver?: number;
}

/** A worker's deps, with every carrier instead of one (the egress gives each worker its own). */
export interface CarrierEgressDeps extends Omit<CarrierWorkerDeps, 'carrier'> {
  carriers(): Carrier[];
  carrier(id: number): Carrier | undefined;
}

interface Campaign {
  lease: Lease;
  worker?: CarrierWorker;
  /** Serialises start/stop of this carrier's worker. */
  queue: Promise<void>;
}

/**
 * Carrier workers, leader-elected: every node campaigns for every carrier's lease (NATS KV);
 * the holder runs that carrier's CarrierWorker, others wait. When the holder stops it releases
 * the lease, so a follower takes over at once; when it dies the lease lapses after its TTL.
 */
export class CarrierEgress {
  readonly #campaigns = new Map<number, Campaign>();
  #bucket?: KvBucket;
  #timer?: NodeJS.Timeout;
  #stopping?: Promise<void>;

  constructor(
    private readonly options: CarrierEgressOptions,
    private readonly deps: CarrierEgressDeps,
  ) {}

  async start(): Promise<void> {
    this.#bucket = await this.deps.bus.kv(this.options.subjects.leaseBucket, { ttlMs: this.ttl() });
    await this.reconcile();
    this.#timer = setInterval(() => {
      this.reconcile().catch((err) => this.deps.logger.warn({ err }, 'carrier lease reconcile failed'));
    }, RECONCILE_MS);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.stopAll();
    return this.#stopping;
  }

  /** Carrier ids whose egress this node runs now. */
  leading(): number[] {
    return [...this.#campaigns].filter(([, c]) => c.lease.isLeader()).map(([id]) => id);
  }

  private ttl(): number {
    return this.options.leaseTtlMs ?? LEASE_TTL_MS;
  }

  private async reconcile(): Promise<void> {
    if (this.#stopping || !this.#bucket) return;
    const current = new Set(this.deps.carriers().map((c) => c.id));
    for (const id of current) if (!this.#campaigns.has(id)) await this.campaign(id, this.#bucket);
    for (const [id, campaign] of this.#campaigns) {
      if (!current.has(id)) await this.retire(id, campaign);
      else campaign.worker?.refresh();
    }
  }

  private async campaign(carrierId: number, bucket: KvBucket): Promise<void> {
    const lease = new Lease(
      { bucket, key: `carrier-${carrierId}`, nodeId: this.options.nodeId, ttlMs: this.ttl() },
      { logger: this.deps.logger },
    );
    const campaign: Campaign = { lease, queue: Promise.resolve() };
    this.#campaigns.set(carrierId, campaign);
    lease.onChange((leader) => {
      campaign.queue = campaign.queue
        .then(() => (leader ? this.lead(carrierId, campaign) : this.follow(carrierId, campaign)))
        .catch((err) => this.deps.logger.error({ err, carrierId }, 'carrier worker switch failed'));
    });
    await lease.start();
  }

  private async lead(carrierId: number, campaign: Campaign): Promise<void> {
    if (campaign.worker || this.#stopping) return;
    const name = this.deps.carrier(carrierId)?.name ?? String(carrierId);
    const worker = new CarrierWorker(
      {
        carrierId,
        subjects: this.options.subjects,
        serverAddress: this.options.serverAddress,
        retries: this.options.retries,
        timeoutMs: this.options.timeoutMs,
        retryDelayMs: this.options.retryDelayMs,
        maxDeliver: this.options.maxDeliver,
      },
      { ...this.deps, carrier: () => this.deps.carrier(carrierId) },
    );
    campaign.worker = worker;
    await worker.start();
    this.deps.metrics.carrierLeader.set({ carrier: name }, 1);
    this.deps.logger.info({ carrierId, carrier: name }, 'leading carrier egress');
  }

  private async follow(carrierId: number, campaign: Campaign): Promise<void> {
    const worker = campaign.worker;
    campaign.worker = undefined;
    if (!worker) return;
    await worker.stop();
    this.deps.metrics.carrierLeader.set({ carrier: this.deps.carrier(carrierId)?.name ?? String(carrierId) }, 0);
    this.deps.logger.info({ carrierId }, 'stopped leading carrier egress');
  }

  private async retire(carrierId: number, campaign: Campaign): Promise<void> {
    this.#campaigns.delete(carrierId);
    await campaign.lease.stop();
    await campaign.queue;
    await this.follow(carrierId, campaign);
  }

  private async stopAll(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.allSettled(
      [...this.#campaigns].map(async ([id, campaign]) => {
        // Stop sending first, then release the lease so a follower takes over at once.
        await this.follow(id, campaign);
        await campaign.lease.stop();
        await campaign.queue;
      }),
    );
    this.#campaigns.clear();
  }
}
