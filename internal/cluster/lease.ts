import type { BusLogger, KvBucket } from '../bus/index.js';

export interface LeaseOptions {
  /** The lease bucket; its TTL (bus.kv(name, { ttlMs })) must equal `ttlMs`. */
  bucket: KvBucket;
  /** What is led, e.g. `carrier-7`. */
  key: string;
  /** Stored as the value, so an operator can see who leads. */
  nodeId: string;
  /** The bucket's TTL: a leader that stops renewing loses the key this long after its last renewal. */
  ttlMs: number;
}

export interface LeaseDeps {
  logger?: BusLogger;
}

/**
 * Called with true when this node becomes leader and false when it stops being one. A promise
 * returned for `false` during stop() is awaited (bounded) before the key is released, so a
 * worker can finish its in-flight work while no other node may start.
 */
export type LeaseListener = (leader: boolean) => void | Promise<void>;

/**
 * Every lease lives in the one lease bucket (subjects.leaseBucket), whose KV TTL is the leases'
 * TTL: a leader that stops renewing loses its key this long after its last renewal.
 */
export const LEASE_TTL_MS = 6_000;

/** Longest stop() waits for listeners to step down before releasing the key anyway. */
export const LEASE_STEP_DOWN_TIMEOUT_MS = 30_000;

type State = 'new' | 'running' | 'stopping' | 'stopped';
const noop = (): void => undefined;
const silent: BusLogger = { info: noop, warn: noop, error: noop };

/**
 * Leader election on one KV key (bucket-wide TTL, revision checks), for nats-server 2.9:
 *
 * - campaign: `create(key)` succeeds only when the key is absent, expired or deleted;
 * - renew every ttl/3 with `update(key, revision)`; a renewal that fails or takes longer than
 *   ttl/3 means leadership is lost at once: listeners hear `false` before anything else runs.
 *   Since the server keeps the key ≥ ttl after the last renewal was sent, a leader cut off
 *   from NATS steps down at least ttl/3 before any other node can win;
 * - followers poll `create` every ttl/3, since expiry sends no event on 2.9;
 * - stop() steps down and deletes the key (only if still ours), so a follower takes over
 *   within one poll instead of one TTL.
 *
 * `token()` is a fencing token: the key's revision when this node won, larger for every later
 * leader. Pass it along with side effects a stale leader must not repeat.
 */
export class Lease {
  readonly #opts: LeaseOptions;
  readonly #logger: BusLogger;
  readonly #intervalMs: number;
  readonly #listeners = new Set<LeaseListener>();
  #state: State = 'new';
  #leader = false;
  /** Revision of our last successful write while we hold the key. */
  #revision?: number;
  #token?: number;
  /** When the last successful write was sent (the key lives ≥ ttl after that). */
  #sentAt = 0;
  #timer?: NodeJS.Timeout;
  #tick?: Promise<void>;
  #starting?: Promise<void>;
  #stopping?: Promise<void>;

  constructor(opts: LeaseOptions, deps: LeaseDeps = {}) {
    if (!(opts.ttlMs > 0)) throw new RangeError('lease ttlMs must be positive');
    this.#opts = opts;
    this.#logger = deps.logger ?? silent;
    this.#intervalMs = Math.max(1, Math.floor(opts.ttlMs / 3));
  }

  /** Campaigns once (resolves after that first attempt), then keeps campaigning or renewing. */
  start(): Promise<void> {
    return (this.#starting ??= this.#start());
  }

  /** Steps down (listeners hear false), then releases the key if we hold it. Idempotent. */
  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  isLeader(): boolean {
    return this.#leader;
  }

  /** The fencing token of the current leadership; undefined when not leader. */
  token(): number | undefined {
    return this.#leader ? this.#token : undefined;
  }

  /** Adds a listener; returns its remover. */
  onChange(cb: LeaseListener): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  async #start(): Promise<void> {
    if (this.#state !== 'new') return;
    this.#state = 'running';
    await this.#runTick();
  }

  async #stop(): Promise<void> {
    await this.#starting?.catch(noop);
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopping';
    // Renewals go on while listeners step down, so nobody else starts before they are done.
    await this.#setLeader(false);
    this.#state = 'stopped';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
    await this.#release();
  }

  #schedule(): void {
    if (this.#state === 'stopped' || (this.#state === 'stopping' && this.#revision === undefined)) return;
    this.#timer = setTimeout(() => void this.#runTick(), this.#intervalMs);
  }

  async #runTick(): Promise<void> {
    this.#timer = undefined;
    this.#tick = this.#revision !== undefined ? this.#renew() : this.#state === 'running' ? this.#campaign() : undefined;
    await this.#tick;
    this.#tick = undefined;
    this.#schedule();
  }

  async #campaign(): Promise<void> {
    const sentAt = Date.now();
    const rev = await this.#call(
      'create',
      () => this.#opts.bucket.create(this.#opts.key, this.#opts.nodeId),
      (late) => this.#releaseLate(late),
    );
    if (rev === null) return;
    if (this.#state !== 'running') {
      await this.#releaseLate(rev);
      return;
    }
    this.#revision = rev;
    this.#token = rev;
    this.#sentAt = sentAt;
    this.#logger.info({ key: this.#opts.key, node: this.#opts.nodeId, token: rev }, 'lease: won');
    void this.#setLeader(true);
  }

  async #renew(): Promise<void> {
    const revision = this.#revision as number;
    if (Date.now() - this.#sentAt > this.#opts.ttlMs - this.#intervalMs) {
      // This tick came too late (event loop stalled): the key may already be someone else's.
      this.#lose('renewal overdue');
      await this.#releaseLate(revision);
      return;
    }
    const sentAt = Date.now();
    const rev = await this.#call(
      'update',
      () => this.#opts.bucket.update(this.#opts.key, this.#opts.nodeId, revision),
      (late) => this.#releaseLate(late),
    );
    if (this.#revision !== revision) return;
    if (rev === null) return this.#lose('renewal refused or failed');
    this.#revision = rev;
    this.#sentAt = sentAt;
  }

  /** Leadership is gone: tell listeners first, synchronously, then forget the key. */
  #lose(why: string): void {
    this.#revision = undefined;
    this.#logger.warn({ key: this.#opts.key, node: this.#opts.nodeId, why }, 'lease: lost');
    void this.#setLeader(false);
  }

  /**
   * A KV call bounded by one interval. A failure or timeout reads as null; a write that
   * succeeds after its timeout is handed to `onLate` (to release the key it took).
   */
  async #call(what: string, fn: () => Promise<number | null>, onLate: (rev: number) => Promise<void>): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const attempt = fn().catch((err: unknown) => {
      this.#logger.warn({ err, key: this.#opts.key, node: this.#opts.nodeId }, `lease: ${what} failed`);
      return null;
    });
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => ((timedOut = true), resolve(null)), this.#intervalMs)));
    const rev = await Promise.race([attempt, timeout]);
    clearTimeout(timer);
    if (timedOut) void attempt.then((late) => (late !== null ? onLate(late) : undefined));
    return rev;
  }

  async #release(): Promise<void> {
    const revision = this.#revision;
    this.#revision = undefined;
    if (revision !== undefined) await this.#releaseLate(revision);
  }

  /** Deletes the key if it still has `revision` (so a newer leader's key is never touched). */
  async #releaseLate(revision: number): Promise<void> {
    try {
      await this.#opts.bucket.delete(this.#opts.key, revision);
    } catch (err) {
      this.#logger.warn({ err, key: this.#opts.key, node: this.#opts.nodeId }, 'lease: could not release; it expires by TTL');
    }
  }

  /** Notifies listeners synchronously; resolves when those that returned a promise settle (bounded). */
  async #setLeader(leader: boolean): Promise<void> {
    if (this.#leader === leader) return;
    this.#leader = leader;
    const pending: Promise<void>[] = [];
    for (const cb of [...this.#listeners]) {
      try {
        const r = cb(leader);
        if (r instanceof Promise) pending.push(r);
      } catch (err) {
        this.#logger.error({ err, key: this.#opts.key, node: this.#opts.nodeId }, 'lease: listener failed');
      }
    }
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, LEASE_STEP_DOWN_TIMEOUT_MS)));
    await Promise.race([Promise.allSettled(pending), timeout]);
    clearTimeout(timer);
  }
}
