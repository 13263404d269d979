/**
 * Which nodes hold a receiving SMPP bind (receiver or transceiver) of each client, on the bus's
 * KV (NATS KV in a cluster, the in-process KV when embedded), so any node can tell whether a
 * client can be reached anywhere: failover delivery and the SMPP status pages read it.
 *
 * One key per client (proto/smpp-receivers.ts). A node writes only its own entry, with a
 * revision check, renews it every ttl/3 while it holds a receiving bind and removes it when the
 * last one goes. A node that dies stops renewing: its entry lapses `ttlMs` after its last renewal
 * (`until` is the writer's clock: nodes' clocks must agree within a few seconds, as NTP keeps them).
 */
import { receiversCodec, receiversKey, type Receivers } from '../../proto/smpp-receivers.js';
import type { BusLogger, DurableBus, KvBucket, KvEntry } from '../bus/index.js';
import { UnavailableError } from '../errors/index.js';

/** A dead node's receiving binds are forgotten within this long. */
export const DEFAULT_RECEIVER_TTL_MS = 30_000;
/** Writes racing another node's on the same client's key are retried this many times. */
const WRITE_TRIES = 8;

export interface ReceiverRegistryOptions {
  /** KV bucket name (proto/subjects.ts smppReceiverBucket). */
  bucket: string;
  nodeId: string;
  ttlMs?: number;
}

export interface ReceiverRegistryDeps {
  bus: Pick<DurableBus, 'kv'>;
  logger: BusLogger;
  now?: () => number;
}

/** One node holding a receiving bind of a client. */
export interface ReceiverNode {
  node: string;
  /** Peer IP of that node's first receiving bind ('' when unknown). */
  ip: string;
}

/** The read side: what failover and status pages ask. */
export interface ReceiverLookup {
  /**
   * The nodes holding a receiving bind of `clientId` now (empty: none anywhere). Rejects with
   * UnavailableError when the KV cannot be read.
   */
  receivers(clientId: number): Promise<ReceiverNode[]>;
}

export class ReceiverRegistry implements ReceiverLookup {
  /** Clients this node holds a receiving bind of, with that bind's peer IP. */
  readonly #mine = new Map<number, string>();
  /** One write at a time per client, so a later state never lands before an earlier one. */
  readonly #writes = new Map<number, Promise<void>>();
  #bucket?: KvBucket;
  #timer?: NodeJS.Timeout;
  #renewing?: Promise<void>;

  constructor(
    private readonly options: ReceiverRegistryOptions,
    private readonly deps: ReceiverRegistryDeps,
  ) {}

  private get ttlMs(): number {
    return this.options.ttlMs ?? DEFAULT_RECEIVER_TTL_MS;
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  async start(): Promise<void> {
    this.#bucket = await this.deps.bus.kv(this.options.bucket, { ttlMs: this.ttlMs });
    this.#timer = setInterval(() => {
      this.#renewing ??= this.renewAll().finally(() => (this.#renewing = undefined));
    }, Math.max(1, Math.floor(this.ttlMs / 3)));
  }

  /** Stops renewing and withdraws every entry of this node. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewing;
    const clients = [...this.#mine.keys()];
    this.#mine.clear();
    await Promise.all([...clients.map((id) => this.schedule(id)), ...this.#writes.values()]);
  }

  /**
   * This node now holds a receiving bind of `clientId` (`ip`: its peer) or, with undefined, none.
   * Resolves once written; a KV failure is logged (the entry lapses, or the renewal retries).
   */
  set(clientId: number, ip: string | undefined): Promise<void> {
    if (ip === undefined) this.#mine.delete(clientId);
    else this.#mine.set(clientId, ip);
    return this.schedule(clientId);
  }

  async receivers(clientId: number): Promise<ReceiverNode[]> {
    const entry = await this.bucket().get(receiversKey(clientId));
    const now = this.now();
    return Object.entries(this.read(entry, clientId).nodes)
      .filter(([, claim]) => claim.until > now)
      .map(([node, claim]) => ({ node, ip: claim.ip }))
      .sort((a, b) => a.node.localeCompare(b.node));
  }

  private schedule(clientId: number): Promise<void> {
    const previous = this.#writes.get(clientId) ?? Promise.resolve();
    const next = previous.then(() => this.write(clientId)).catch((err: unknown) =>
      this.deps.logger.warn({ err, clientId }, 'could not write an SMPP receiver entry; it is retried or lapses'));
    this.#writes.set(clientId, next);
    void next.finally(() => {
      if (this.#writes.get(clientId) === next) this.#writes.delete(clientId);
    });
    return next;
  }

  /** Puts this node's current state of `clientId` in its key, dropping entries that lapsed. */
  private async write(clientId: number): Promise<void> {
    const key = receiversKey(clientId);
    const bucket = this.bucket();
    for (let attempt = 0; attempt < WRITE_TRIES; attempt++) {
      const entry = await bucket.get(key);
      const value = this.next(this.read(entry, clientId), clientId);
      const written = Object.keys(value.nodes).length === 0
        ? !entry || await bucket.delete(key, entry.revision)
        : (entry ? await bucket.update(key, receiversCodec.encode(value), entry.revision)
          : await bucket.create(key, receiversCodec.encode(value))) !== null;
      if (written) return;
    }
    throw new UnavailableError(`the receivers of client ${clientId} kept changing under ${WRITE_TRIES} writes`);
  }

  private next(current: Receivers, clientId: number): Receivers {
    const now = this.now();
    const nodes: Receivers['nodes'] = {};
    for (const [node, claim] of Object.entries(current.nodes)) {
      if (node !== this.options.nodeId && claim.until > now) nodes[node] = claim;
    }
    const ip = this.#mine.get(clientId);
    if (ip !== undefined) nodes[this.options.nodeId] = { until: now + this.ttlMs, ip };
    return { v: 1, nodes };
  }

  private read(entry: KvEntry | null, clientId: number): Receivers {
    if (!entry) return { v: 1, nodes: {} };
    try {
      return receiversCodec.decode(entry.value);
    } catch (err) {
      // Another version's value: ours replaces it on the next write.
      this.deps.logger.warn({ err, clientId }, 'ignoring an unreadable SMPP receiver entry');
      return { v: 1, nodes: {} };
    }
  }

  private bucket(): KvBucket {
    if (!this.#bucket) throw new UnavailableError('the SMPP receiver registry is not started');
    return this.#bucket;
  }

  private async renewAll(): Promise<void> {
    await Promise.all([...this.#mine.keys()].map((id) => this.schedule(id)));
  }
}
