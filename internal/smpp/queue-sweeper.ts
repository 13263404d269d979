/**
 * No silent loss for clients that never bind again (docs/decisions.md).
 * JetStream's max_age deletes without telling anyone, so the SMPP stream keeps messages well
 * beyond the queue's max age (SMPP_STREAM_AGE_FACTOR) and this sweeper, run by one node at a
 * time (a lease), reports what has outlived the queue's max age to its sender:
 *
 * - every tick it reads how many jobs wait for each legacy client (one cheap stream query);
 * - a client's queue is looked at when its oldest job may have expired: a while after the node
 *   takes the lease (nothing known; see firstLookDelayMs), then at (oldest job seen + max age),
 *   at most half a max age apart, and for a queue that was empty at tick t no earlier than
 *   t + max age;
 * - looking means consuming the client's own durable (a work-queue stream allows no other
 *   consumer over the same subjects): stale jobs are expired one by one, in order, until a fresh
 *   one is met, which goes straight back (nak, no delay) and tells when to look next.
 *
 * Clients this node consumes itself are skipped: their egress expires what it meets. For a
 * client bound on another node the look costs one redelivery of its head job.
 */
import type { Subjects } from '../../proto/subjects.js';
import { retry, type Bus, type DurableMsg, type Outcome } from '../bus/index.js';
import { LeaderTask, LEASE_TTL_MS } from '../cluster/index.js';
import type { Logger } from '../log/index.js';
import { smppConsumerSpec } from './client-lane.js';

/** Lease TTL when none is given: the carrier egress's, since both share the lease bucket's TTL. */
/** The lease key in the lease bucket. */
const LEASE_KEY = 'smpp-queue-sweeper';
/** A look ends when no job came for this long (nothing is available to this consumer). */
const DEFAULT_IDLE_MS = 1_000;
/** A look stops after this long even while it still expires jobs; the next tick goes on. */
const MAX_LOOK_MS = 30_000;
const POLL_MS = 50;

export interface QueueSweeperOptions {
  subjects: Subjects;
  nodeId: string;
  timeoutMs: number;
  queueMaxAgeMs: number;
  /** Default: a twentieth of the max age, between 1 s and 60 s. */
  intervalMs?: number;
  leaseTtlMs?: number;
  idleMs?: number;
  /**
   * How long after taking the lease an unknown queue is first looked at. Default: half the max
   * age, at most 10 minutes. Not at once: a look consumes the client's durable, and one made
   * just as the client binds (a gateway restart with clients re-binding) hands the head job back
   * behind the new bind's first fetch, which reorders it. A stale job is still reported long
   * before the stream's own max age (SMPP_STREAM_AGE_FACTOR × max age) deletes it.
   */
  firstLookDelayMs?: number;
  /** The SMPP consumers' maxDeliver (the sweeper consumes the same durables). */
  maxDeliver?: number;
}

/** What the egress decided about one job: expired (with its outcome), or fresh since a time. */
export type SweepVerdict = { outcome: Outcome } | { freshSince: number };

export interface QueueSweeperDeps {
  bus: Bus;
  logger: Logger;
  /** Legacy clients, whose queues are watched. */
  clientIds(): number[];
  /** True when this node consumes the client's queue itself. */
  consumedHere(clientId: number): boolean;
  verdict(msg: DurableMsg): Promise<SweepVerdict>;
}

interface QueueState {
  /** Last tick that found the queue empty. */
  emptyAt?: number;
  /** When to look next. */
  dueAt?: number;
}

interface Look {
  /** Time of the first fresh job met, if any. */
  freshSince?: number;
  /** Stopped by MAX_LOOK_MS while still expiring jobs. */
  cutShort: boolean;
}

export class QueueSweeper {
  readonly #queues = new Map<number, QueueState>();
  readonly #task: LeaderTask;
  #ledAt = 0;

  constructor(
    private readonly options: QueueSweeperOptions,
    private readonly deps: QueueSweeperDeps,
  ) {
    this.#task = new LeaderTask(
      {
        bucket: options.subjects.leaseBucket,
        ttlMs: options.leaseTtlMs ?? LEASE_TTL_MS,
        key: LEASE_KEY,
        nodeId: options.nodeId,
        intervalMs: this.interval(),
      },
      { bus: deps.bus, logger: deps.logger, pass: () => this.sweepAll(), onLead: () => this.lead() },
    );
  }

  start(): Promise<void> {
    return this.#task.start();
  }

  /** Steps down (finishing a sweep in progress) and releases the lease. */
  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** A node that has just taken the lease knows nothing of the queues. */
  private lead(): void {
    this.#ledAt = Date.now();
    this.#queues.clear();
  }

  private get leading(): boolean {
    return this.#task.leading();
  }

  private interval(): number {
    return this.options.intervalMs ?? Math.min(60_000, Math.max(1_000, Math.round(this.options.queueMaxAgeMs / 20)));
  }

  private async sweepAll(): Promise<void> {
    const s = this.options.subjects;
    const ids = this.deps.clientIds();
    if ((await this.deps.bus.pending(s.streams.smpp)) === 0) {
      const now = Date.now();
      for (const id of ids) this.#queues.set(id, { emptyAt: now });
      return;
    }
    for (const id of ids) {
      if (!this.leading) return;
      if (this.deps.consumedHere(id)) this.#queues.delete(id);
      else await this.sweepQueue(id);
    }
  }

  private async sweepQueue(clientId: number): Promise<void> {
    const now = Date.now();
    const waiting = await this.deps.bus.pending(this.options.subjects.streams.smpp, this.options.subjects.msgOutSmpp(clientId));
    if (waiting === 0) {
      this.#queues.set(clientId, { emptyAt: now });
      return;
    }
    const maxAge = this.options.queueMaxAgeMs;
    const known = this.#queues.get(clientId);
    const firstLook = this.#ledAt + (this.options.firstLookDelayMs ?? Math.min(maxAge / 2, 10 * 60_000));
    const dueAt = known?.dueAt ?? (known?.emptyAt !== undefined ? known.emptyAt + maxAge : firstLook);
    if (now < dueAt) {
      this.#queues.set(clientId, { dueAt });
      return;
    }
    const look = await this.look(clientId);
    const next = look.cutShort ? now : Math.min(Date.now() + maxAge / 2, (look.freshSince ?? Infinity) + maxAge);
    this.#queues.set(clientId, { dueAt: next });
  }

  /** Consumes the client's durable until a fresh job shows up, nothing comes, or time is up. */
  private async look(clientId: number): Promise<Look> {
    let freshSince: number | undefined;
    let busy = false;
    let lastActivity = Date.now();
    let endLook!: () => void;
    const lookEnded = new Promise<void>((r) => (endLook = r));
    const spec = smppConsumerSpec(this.options.subjects, clientId, this.options.timeoutMs, this.options.maxDeliver);
    const consumer = await this.deps.bus.consume(
      spec,
      async (msg) => {
        if (freshSince !== undefined) return retry(0);
        busy = true;
        try {
          const verdict = await this.deps.verdict(msg);
          if ('outcome' in verdict) return verdict.outcome;
          freshSince = verdict.freshSince;
          // Held until the consumer stops, then given back: one delivery per look. Returned at
          // once, the job would come straight back, over and over until the look ends, and
          // every such delivery counts against the job's maxDeliver.
          msg.working();
          await lookEnded;
          return retry(0);
        } finally {
          busy = false;
          lastActivity = Date.now();
        }
      },
      { concurrency: 1 },
    );
    const idleMs = this.options.idleMs ?? DEFAULT_IDLE_MS;
    const deadline = Date.now() + MAX_LOOK_MS;
    const idle = () => !busy && Date.now() - lastActivity >= idleMs;
    while (freshSince === undefined && this.leading && Date.now() < deadline && !idle()) {
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const stopping = consumer.stop();
    endLook();
    await stopping;
    return { freshSince, cutShort: freshSince === undefined && Date.now() >= deadline };
  }
}
