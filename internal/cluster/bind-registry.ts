/**
 * The cluster's SMPP binds, on the bus's KV (NATS KV in a cluster, the in-process KV when
 * embedded): the one record of who is bound where. The SMPP server claims a bind before it
 * answers bind_resp and releases it at unbind; the status pages list a client's binds, failover
 * asks who can receive, and max_binds counts them.
 *
 * One key per client (proto/smpp-binds.ts), so every read is one KV get: failover reads it per
 * message, and a key listing on NATS would open a consumer per call. A node writes only its own
 * group, with a revision check (which is also what makes a max_binds claim atomic), renews it
 * every ttl/3 while it holds a bind and removes it with its last bind. A node that dies stops
 * renewing: its group lapses `ttlMs` after its last renewal (`until` is the writer's clock:
 * nodes' clocks must agree within a few seconds, as NTP keeps them).
 */
import { bindsCodec, bindsKey, type ClientBinds } from '../../proto/smpp-binds.js';
import type { BusLogger, DurableBus, KvBucket, KvEntry } from '../bus/index.js';
import { UnavailableError } from '../errors/index.js';

/** A dead node's binds are forgotten within this long. */
export const DEFAULT_BIND_TTL_MS = 30_000;
/** Writes racing another node's on the same client's key are retried this many times. */
const WRITE_TRIES = 8;

export type BindMode = 'transmitter' | 'receiver' | 'transceiver';

export interface BindRegistryOptions {
  /** KV bucket name (proto/subjects.ts smppBindBucket). */
  bucket: string;
  nodeId: string;
  ttlMs?: number;
}

export interface BindRegistryDeps {
  bus: Pick<DurableBus, 'kv'>;
  logger: BusLogger;
  now?: () => number;
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

/** A bind's place in the registry. */
export interface BindSlot {
  /** Forgets the bind (idempotent; a KV failure is logged, the renewal then retries). */
  release(): Promise<void>;
}

/** One node holding a receiving bind (receiver or transceiver) of a client. */
export interface ReceiverNode {
  node: string;
  /** IP of that node's first receiving bind ('' when unknown). */
  ip: string;
}

/** The read side failover needs. */
export interface ReceiverLookup {
  /**
   * The nodes holding a receiving bind of `clientId` now (empty: none anywhere), in node order.
   * Rejects with UnavailableError when the KV cannot be read.
   */
  receiverNodes(clientId: number): Promise<ReceiverNode[]>;
}

/** A claim under a limit, waiting for its write. */
interface Pending {
  bind: BindClaim;
  maxBinds: number;
}

export class BindRegistry implements ReceiverLookup {
  /** This node's binds, by client and session. */
  readonly #mine = new Map<number, Map<string, BindClaim>>();
  /** One write at a time per client, so a later state never lands before an earlier one. */
  readonly #writes = new Map<number, Promise<unknown>>();
  #bucket?: KvBucket;
  #timer?: NodeJS.Timeout;
  #renewing?: Promise<void>;

  constructor(
    private readonly options: BindRegistryOptions,
    private readonly deps: BindRegistryDeps,
  ) {}

  private get ttlMs(): number {
    return this.options.ttlMs ?? DEFAULT_BIND_TTL_MS;
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  async start(): Promise<void> {
    this.#bucket = await this.deps.bus.kv(this.options.bucket, { ttlMs: this.ttlMs });
    this.#timer = setInterval(
      () => {
        this.#renewing ??= this.renewAll().finally(() => (this.#renewing = undefined));
      },
      Math.max(1, Math.floor(this.ttlMs / 3)),
    );
  }

  /** Stops renewing and withdraws every bind of this node. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewing;
    const clients = [...this.#mine.keys()];
    this.#mine.clear();
    await Promise.all([...clients.map((id) => this.logged(id)), ...this.#writes.values()]);
  }

  /**
   * Records a bind of `clientId`, within its `maxBinds` (0 = unlimited). Resolves null when the
   * client already has that many binds in the cluster; rejects with UnavailableError when the KV
   * cannot be reached and the client has a limit to keep. A client without a limit binds even
   * when the KV is down (as it did before binds were recorded): the next renewal writes it.
   */
  async claim(clientId: number, maxBinds: number, bind: BindClaim): Promise<BindSlot | null> {
    if (maxBinds <= 0) {
      this.mineOf(clientId).set(bind.session, bind);
      await this.logged(clientId);
    } else if (!(await this.schedule(clientId, { bind, maxBinds }))) {
      return null;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        const mine = this.#mine.get(clientId);
        if (!mine?.delete(bind.session)) return;
        if (mine.size === 0) this.#mine.delete(clientId);
        await this.logged(clientId);
      },
    };
  }

  /**
   * Every bind of `clientId` on any node of the cluster (empty when it has none). Rejects with
   * UnavailableError when the KV cannot be read.
   */
  async binds(clientId: number): Promise<BindRecord[]> {
    const current = this.read(await this.bucket().get(bindsKey(clientId)), clientId);
    const now = this.now();
    return Object.entries(current.nodes)
      .filter(([, group]) => group.until > now)
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([node, group]) => group.binds.map((b) => ({ node, ...b })));
  }

  async receiverNodes(clientId: number): Promise<ReceiverNode[]> {
    const nodes = new Map<string, string>();
    for (const bind of await this.binds(clientId)) {
      if (bind.mode !== 'transmitter' && !nodes.has(bind.node)) nodes.set(bind.node, bind.ip);
    }
    return [...nodes].map(([node, ip]) => ({ node, ip }));
  }

  private mineOf(clientId: number): Map<string, BindClaim> {
    let mine = this.#mine.get(clientId);
    if (!mine) this.#mine.set(clientId, (mine = new Map()));
    return mine;
  }

  /** Writes this node's state of `clientId`, logging a failure (the renewal retries). */
  private logged(clientId: number): Promise<unknown> {
    return this.schedule(clientId).catch((err: unknown) =>
      this.deps.logger.warn({ err, clientId }, 'could not write an SMPP bind entry; the renewal retries'),
    );
  }

  /** Queues a write of `clientId` behind this node's earlier ones; false: `pending` had no room. */
  private schedule(clientId: number, pending?: Pending): Promise<boolean> {
    const previous = this.#writes.get(clientId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.write(clientId, pending));
    this.#writes.set(clientId, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.#writes.get(clientId) === next) this.#writes.delete(clientId);
      });
    return next;
  }

  /** Puts this node's current binds of `clientId` in its key, dropping groups that lapsed. */
  private async write(clientId: number, pending?: Pending): Promise<boolean> {
    const key = bindsKey(clientId);
    const bucket = this.bucket();
    for (let attempt = 0; attempt < WRITE_TRIES; attempt++) {
      const entry = await bucket.get(key);
      const value = this.next(this.read(entry, clientId), clientId, pending?.bind);
      if (pending && count(value) > pending.maxBinds) return false;
      const written =
        Object.keys(value.nodes).length === 0
          ? !entry || (await bucket.delete(key, entry.revision))
          : (entry
              ? await bucket.update(key, bindsCodec.encode(value), entry.revision)
              : await bucket.create(key, bindsCodec.encode(value))) !== null;
      if (written) {
        if (pending) this.mineOf(clientId).set(pending.bind.session, pending.bind);
        return true;
      }
    }
    throw new UnavailableError(`the SMPP binds of client ${clientId} kept changing under ${WRITE_TRIES} writes`);
  }

  private next(current: ClientBinds, clientId: number, extra?: BindClaim): ClientBinds {
    const now = this.now();
    const nodes: ClientBinds['nodes'] = {};
    for (const [node, group] of Object.entries(current.nodes)) {
      if (node !== this.options.nodeId && group.until > now) nodes[node] = group;
    }
    const binds = [...(this.#mine.get(clientId)?.values() ?? []), ...(extra ? [extra] : [])];
    if (binds.length > 0) nodes[this.options.nodeId] = { until: now + this.ttlMs, binds };
    return { v: 1, nodes };
  }

  private read(entry: KvEntry | null, clientId: number): ClientBinds {
    if (!entry) return { v: 1, nodes: {} };
    try {
      return bindsCodec.decode(entry.value);
    } catch (err) {
      // Another version's value: ours replaces it on the next write.
      this.deps.logger.warn({ err, clientId }, 'ignoring an unreadable SMPP bind entry');
      return { v: 1, nodes: {} };
    }
  }

  private bucket(): KvBucket {
    if (!this.#bucket) throw new UnavailableError('the SMPP bind registry is not started');
    return this.#bucket;
  }

  private async renewAll(): Promise<void> {
    await Promise.all([...this.#mine.keys()].map((id) => this.logged(id)));
  }
}

const count = (value: ClientBinds) => Object.values(value.nodes).reduce((n, group) => n + group.binds.length, 0);
