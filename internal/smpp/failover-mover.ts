/**
 * Messages already queued for an SMPP client that has lost every receiving bind go to its
 * failover client (upstream §7.3; new messages are readdressed at routing, router/failover.ts).
 * One node at a time runs it (a lease). Every tick it looks at the legacy clients with enabled
 * failovers whose queue holds jobs; once a client has had no receiving bind anywhere in the
 * cluster for the grace period (a PBX restarting re-binds within it) and a failover of it has
 * one, its queue is moved:
 *
 * - jobs are taken from the client's own durable, so each is in one hand at a time, also when
 *   the client binds again meanwhile (its new lane and the move then split the queue);
 * - each message is readdressed by the routing decision, asked again per job: once the client
 *   can receive again (or no failover can) the move stops and the rest stays;
 * - it is published to the failover's queue under `<id>:smpp-failover` (a move repeated after a
 *   crash is a duplicate), the client's own leg is closed with the reason, then the job is acked;
 * - delivery receipts stay for the client (they answer its own submits), and so do messages it
 *   holds as another client's failover (no chains).
 */
import { deliveryJobCodec, type DeliveryJob } from '../../proto/delivery.js';
import type { Egress } from '../../proto/message.js';
import type { Subjects } from '../../proto/subjects.js';
import { ack, retry, term, type Bus, type DurableMsg, type Outcome } from '../bus/index.js';
import { LeaderTask, LEASE_TTL_MS, type ReceiverLookup } from '../cluster/index.js';
import type { Logger } from '../log/index.js';
import { legsFor, type LegContext, type RecordWriter } from '../records/index.js';
import type { FailoverRouting } from '../router/index.js';
import { smppConsumerSpec } from './client-lane.js';

/** How long a client must have had no receiving bind before its queue moves, when none is set. */
export const DEFAULT_FAILOVER_GRACE_MS = 30_000;
const LEASE_KEY = 'smpp-failover-mover';
const DEFAULT_INTERVAL_MS = 2_000;
/** A move ends when no job came for this long (the queue is empty or held by a lane). */
const IDLE_MS = 500;
/** A move stops after this long; the next tick goes on. */
const MAX_MOVE_MS = 30_000;
/** A job that stays with the client goes back for this long, so the move reaches the jobs behind it. */
const KEPT_BACK_MS = 60_000;
const POLL_MS = 50;

export interface FailoverMoverOptions {
  subjects: Subjects;
  nodeId: string;
  /** The SMPP consumers' response timeout (the move consumes the same durables). */
  timeoutMs: number;
  maxDeliver?: number;
  /** Default DEFAULT_FAILOVER_GRACE_MS. */
  graceMs?: number;
  intervalMs?: number;
  leaseTtlMs?: number;
}

export interface FailoverMoverDeps {
  bus: Bus;
  logger: Logger;
  /** Legacy clients with at least one enabled failover. */
  clientIds(): number[];
  receivers: ReceiverLookup;
  failover: Pick<FailoverRouting, 'apply' | 'choose'>;
  records: RecordWriter;
  legs: LegContext;
}

export class FailoverMover {
  /** When this node, since taking the lease, first saw each client without a receiving bind. */
  readonly #unboundSince = new Map<number, number>();
  readonly #task: LeaderTask;

  constructor(
    private readonly options: FailoverMoverOptions,
    private readonly deps: FailoverMoverDeps,
  ) {
    this.#task = new LeaderTask(
      {
        bucket: options.subjects.leaseBucket,
        ttlMs: options.leaseTtlMs ?? LEASE_TTL_MS,
        key: LEASE_KEY,
        nodeId: options.nodeId,
        intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
      },
      // A node that has just taken the lease has seen nothing: every grace period starts over.
      { bus: deps.bus, logger: deps.logger, pass: () => this.pass(), onLead: () => this.#unboundSince.clear() },
    );
  }

  start(): Promise<void> {
    return this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  private async pass(): Promise<void> {
    const s = this.options.subjects;
    const ids = this.deps.clientIds();
    const now = Date.now();
    for (const id of ids) {
      if (!this.#task.leading()) return;
      if ((await this.deps.receivers.receiverNodes(id)).length > 0) {
        this.#unboundSince.delete(id);
        continue;
      }
      const since = this.#unboundSince.get(id) ?? now;
      this.#unboundSince.set(id, since);
      if (now - since < (this.options.graceMs ?? DEFAULT_FAILOVER_GRACE_MS)) continue;
      if ((await this.deps.bus.pending(s.streams.smpp, s.msgOutSmpp(id))) === 0) continue;
      if ((await this.deps.failover.choose(id)).kind !== 'fallback') continue;
      await this.move(id);
    }
    for (const id of this.#unboundSince.keys()) if (!ids.includes(id)) this.#unboundSince.delete(id);
  }

  /** Consumes the client's durable, moving its messages until told to stop, idle or out of time. */
  private async move(clientId: number): Promise<void> {
    let done = false;
    let busy = false;
    let lastActivity = Date.now();
    const spec = smppConsumerSpec(this.options.subjects, clientId, this.options.timeoutMs, this.options.maxDeliver);
    const consumer = await this.deps.bus.consume(
      spec,
      async (msg) => {
        if (done) return retry(0);
        busy = true;
        try {
          const outcome = await this.moveJob(msg);
          if (outcome === 'stop') {
            done = true;
            return retry(0);
          }
          return outcome;
        } finally {
          busy = false;
          lastActivity = Date.now();
        }
      },
      { concurrency: 1 },
    );
    const deadline = Date.now() + MAX_MOVE_MS;
    const idle = () => !busy && Date.now() - lastActivity >= IDLE_MS;
    while (!done && this.#task.leading() && Date.now() < deadline && !idle()) {
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    await consumer.stop();
  }

  private async moveJob(msg: DurableMsg): Promise<Outcome | 'stop'> {
    const job = this.decode(msg);
    if (!job) return term('undecodable');
    // Receipts answer the client's own submits; a message it holds as another client's failover
    // is not passed on again. Both wait for the client, and the move goes on behind them.
    if (job.kind !== 'message' || job.egress.failoverFrom !== undefined) return retry(KEPT_BACK_MS);
    const moved = await this.deps.failover.apply(job.egress);
    if (moved === job.egress || moved.route.kind !== 'smpp') return 'stop';
    const s = this.options.subjects;
    const ack0 = await this.deps.bus.publishDurable(
      s.msgOutSmpp(moved.route.clientId),
      deliveryJobCodec.encode({ v: 1, kind: 'message', egress: moved }),
      { msgId: `${moved.message.id}:smpp-failover` },
    );
    if (!ack0.duplicate) await this.record(job.egress, moved);
    return ack;
  }

  /** The client's own leg is closed with where the message went; the failover's legs are queued. */
  private async record(original: Egress, moved: Egress): Promise<void> {
    const primary = original.receiverClientId;
    const note = `moved to failover client ${moved.route.kind === 'smpp' ? moved.route.clientId : '?'}: no receiving bind`;
    const closed = legsFor(original, this.deps.legs, 'failed', { error: note }).filter(
      (leg) => leg.direction === 'inbound' && leg.clientId === primary,
    );
    await this.deps.records
      .write(...closed, ...legsFor(moved, this.deps.legs, 'queued'))
      .catch((err: unknown) =>
        this.deps.logger.warn({ err, id: original.message.id }, 'could not record a message moved to a failover client'),
      );
  }

  private decode(msg: DurableMsg): DeliveryJob | undefined {
    try {
      return deliveryJobCodec.decode(msg.data);
    } catch (err) {
      this.deps.logger.error({ err, subject: msg.subject }, 'failover mover: dropping an undecodable job');
      return undefined;
    }
  }
}
