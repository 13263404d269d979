/**
 * The cluster's SMPP binds, on the bus's KV (NATS KV in a cluster, the in-process KV when
 * embedded): who is bound where, and per-client bind limits (max_binds). A client with max_binds
 * N has N slot keys `bind.<clientId>.<0..N-1>`; a bind takes the first free one with `create`
 * (which succeeds for exactly one node). A client without a limit gets a key of its own per bind,
 * `bind.<clientId>.any-<uuid>`, so every bind can be listed. Keys are renewed every ttl/3 while
 * bound and deleted at unbind; a node that dies stops renewing, so its keys lapse within one TTL
 * and the client can bind elsewhere.
 */
import { randomUUID } from 'node:crypto';
import type { BusLogger, DurableBus, KvBucket } from '../bus/index.js';
import { UnavailableError } from '../errors/index.js';
import type { BindMode } from './ports.js';

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

/** One bind as the registry records it. */
export interface BindRecord {
  /** server_id of the node holding the session. */
  node: string;
  session: string;
  /** The ESME's IP (the peer's, or the one a PROXY header named). */
  ip: string;
  mode: BindMode;
}

/** What a bind tells the registry about itself. */
export type BindClaim = Omit<BindRecord, 'node'>;

/** A bind's claim on one of its client's slots. */
export interface BindSlot {
  /** Frees the slot (idempotent; a KV failure is logged, the slot then lapses by TTL). */
  release(): Promise<void>;
}

interface Held {
  value: string;
  revision: number;
}

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
   * Records a bind of `clientId`, taking one of its `maxBinds` slots (0 = unlimited: the bind
   * gets a key of its own). Resolves null when all slots are taken; rejects with
   * UnavailableError when the KV cannot be reached and the client has a limit to keep.
   */
  async claim(clientId: number, maxBinds: number, bind: BindClaim): Promise<BindSlot | null> {
    const value = JSON.stringify({ node: this.options.nodeId, ...bind } satisfies BindRecord);
    if (maxBinds <= 0) return this.record(`${clientPrefix(clientId)}.any-${randomUUID()}`, value);
    const bucket = this.bucket();
    for (let slot = 0; slot < maxBinds; slot++) {
      const key = `${clientPrefix(clientId)}.${slot}`;
      const revision = await bucket.create(key, value);
      if (revision !== null) return this.hold(key, { value, revision });
    }
    return null;
  }

  /**
   * Every bind of `clientId` on any node of the cluster (empty when it has none). Rejects with
   * UnavailableError when the KV cannot be reached.
   */
  async binds(clientId: number): Promise<BindRecord[]> {
    const entries = await this.bucket().entries(clientPrefix(clientId));
    return entries.flatMap((entry) => {
      const record = parseRecord(entry.value);
      return record ? [record] : [];
    });
  }

  /**
   * A client without a limit binds even when the KV is down (as it did before binds were
   * listed): its key is then written by the next renewal.
   */
  private async record(key: string, value: string): Promise<BindSlot> {
    const revision = await this.bucket().create(key, value).catch((err: unknown) => {
      this.deps.logger.warn({ err, key }, 'could not record an SMPP bind; the next renewal retries');
      return 0;
    });
    return this.hold(key, { value, revision: revision ?? 0 });
  }

  private hold(key: string, held: Held): BindSlot {
    this.#held.set(key, held);
    let released = false;
    return { release: async () => {
      if (released) return;
      released = true;
      await this.free(key);
    } };
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

const clientPrefix = (clientId: number) => `bind.${clientId}`;

/** A record written by this registry, or null (a value from an older node lacks ip and mode). */
function parseRecord(value: string): BindRecord | null {
  try {
    const parsed = JSON.parse(value) as Partial<BindRecord>;
    if (typeof parsed.node !== 'string' || typeof parsed.session !== 'string') return null;
    return { node: parsed.node, session: parsed.session, ip: parsed.ip ?? '', mode: parsed.mode ?? 'transceiver' };
  } catch {
    return null;
  }
}
