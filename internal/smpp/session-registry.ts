/**
 * Per-client bind limits (max_binds) across the cluster, on the bus's KV (NATS KV in a cluster,
 * the in-process KV when embedded). A client with max_binds N has N slot keys
 * `bind.<clientId>.<0..N-1>`; a bind takes the first free one with `create` (which succeeds for
 * exactly one node), renews it every ttl/3 while bound and deletes it at unbind. A node that dies
 * stops renewing, so its slots lapse within one TTL and the client can bind elsewhere.
 */
import type { BusLogger, DurableBus, KvBucket } from '../bus/index.js';
import { UnavailableError } from '../errors/index.js';

/** Slots of a dead node free up within this long. */
export const DEFAULT_BIND_SLOT_TTL_MS = 30_000;

export interface BindRegistryOptions {
  /** KV bucket name (proto/subjects.ts smppBindBucket). */
  bucket: string;
  nodeId: string;
  ttlMs?: number;
}

export interface BindRegistryDeps {
  bus: Pick<DurableBus, 'kv'>;
  logger: BusLogger;
}

/** A bind's claim on one of its client's slots. */
export interface BindSlot {
  /** Frees the slot (idempotent; a KV failure is logged, the slot then lapses by TTL). */
  release(): Promise<void>;
}

interface Held {
  value: string;
  revision: number;
}

const NO_SLOT: BindSlot = { release: async () => undefined };

export class BindRegistry {
  readonly #held = new Map<string, Held>();
  #bucket?: KvBucket;
  #timer?: NodeJS.Timeout;
  #renewing?: Promise<void>;

  constructor(
    private readonly options: BindRegistryOptions,
    private readonly deps: BindRegistryDeps,
  ) {}

  private get ttlMs(): number {
    return this.options.ttlMs ?? DEFAULT_BIND_SLOT_TTL_MS;
  }

  async start(): Promise<void> {
    this.#bucket = await this.deps.bus.kv(this.options.bucket, { ttlMs: this.ttlMs });
    this.#timer = setInterval(() => {
      this.#renewing ??= this.renewAll().finally(() => (this.#renewing = undefined));
    }, Math.max(1, Math.floor(this.ttlMs / 3)));
  }

  /** Stops renewing and frees every slot this node holds. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewing;
    await Promise.all([...this.#held.keys()].map((key) => this.free(key)));
  }

  /**
   * Takes a free slot of `clientId` (max_binds `maxBinds`, 0 = unlimited: nothing is claimed).
   * Resolves null when all are taken; rejects with UnavailableError when the KV cannot be reached.
   */
  async claim(clientId: number, maxBinds: number, sessionId: string): Promise<BindSlot | null> {
    if (maxBinds <= 0) return NO_SLOT;
    const bucket = this.bucket();
    const value = JSON.stringify({ node: this.options.nodeId, session: sessionId });
    for (let slot = 0; slot < maxBinds; slot++) {
      const key = `bind.${clientId}.${slot}`;
      const revision = await bucket.create(key, value);
      if (revision === null) continue;
      this.#held.set(key, { value, revision });
      let released = false;
      return { release: async () => {
        if (released) return;
        released = true;
        await this.free(key);
      } };
    }
    return null;
  }

  private bucket(): KvBucket {
    if (!this.#bucket) throw new UnavailableError('the SMPP bind registry is not started');
    return this.#bucket;
  }

  private async free(key: string): Promise<void> {
    const held = this.#held.get(key);
    if (!held) return;
    this.#held.delete(key);
    await this.bucket().delete(key, held.revision).catch((err: unknown) =>
      this.deps.logger.warn({ err, key }, 'could not free an SMPP bind slot; it lapses by TTL'));
  }

  private async renewAll(): Promise<void> {
    for (const [key, held] of [...this.#held]) {
      try {
        let revision = await this.bucket().update(key, held.value, held.revision);
        if (this.#held.get(key) !== held) continue; // released meanwhile
        // Lapsed (the KV was unreachable for a TTL): take it again.
        revision ??= await this.bucket().create(key, held.value);
        if (revision === null) {
          this.deps.logger.warn({ key }, 'an SMPP bind slot lapsed and was taken by another bind; the client is over its max_binds');
          this.#held.delete(key);
        } else {
          held.revision = revision;
        }
      } catch (err) {
        this.deps.logger.warn({ err, key }, 'SMPP bind slot renewal failed; will retry');
      }
    }
  }
}
