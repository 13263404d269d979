/**
 * The deliver_sm egress: routed messages and delivery receipts to SMPP
 * clients. A node consumes msg.out.smpp.<client> while it holds one of the client's receiving
 * binds (ClientLane); with no bind anywhere the jobs wait in the stream, in order, until the
 * client binds on any node, or move to its failover client (failover-mover.ts). A job older than the queue's max age is not delivered: its sender
 * is told it expired (here, or by the leased QueueSweeper when the client never comes back).
 */
import { deliveryJobCodec, type DeliveryJob } from '../../proto/delivery.js';
import type { Egress } from '../../proto/message.js';
import type { StatusEvent } from '../../proto/status.js';
import type { Subjects } from '../../proto/subjects.js';
import { ack, retry, term, type Bus, type DurableMsg, type Outcome } from '../bus/index.js';
import { ErrorCode, ValidationError } from '../errors/index.js';
import { LogEvent, type Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { LegContext, RecordWriter } from '../records/index.js';
import type { ReceiverLookup } from '../cluster/index.js';
import { failoverOrder, type FailoverRouting, type FailureReporter, type SentRecorder } from '../router/index.js';
import type { ClientDetails } from '../store/index.js';
import { ClientLane, smppConsumerSpec } from './client-lane.js';
import { ConcatRefs } from './concat-ref.js';
import { FailoverMover } from './failover-mover.js';
import { messagePlan, type DeliverPlan } from './deliver-job.js';
import { keepAlive, sendParts, type SendEvent, type SendResult } from './part-sender.js';
import { QueueSweeper, type SweepVerdict } from './queue-sweeper.js';
import type { LocalBinds } from './ports.js';
import { receiptPlan } from './receipt-job.js';
import { SessionPool } from './session-pool.js';

/** The SMPP window (deliver_sm unanswered per session) when none is configured. */
export const DEFAULT_SMPP_WINDOW = 10;
/** First retry pause of a failed deliver_sm; doubles per failure (upstream waited a fixed 10 s). */
export const DEFAULT_SMPP_RETRY_DELAY_MS = 1_000;
/** How long one delivery of a job waits out a client's throttling before giving the job back. */
export const DEFAULT_THROTTLE_MAX_WAIT_MS = 60_000;
/** A job given back for lack of a session waits this long, so a node losing its bind does not spin. */
const UNBOUND_RETRY_MS = 250;
/** How often every lane re-reads its sessions, repairing a consumer start that failed. */
const RECONCILE_MS = 5_000;

export interface SmppEgressOptions {
  subjects: Subjects;
  nodeId: string;
  /** SMPP_RETRIES: retries of a failed deliver_sm after the first attempt. */
  retries: number;
  /** SMPP_TIMEOUT_SECS in ms: the sessions' deliver_sm_resp timeout; sizes the consumer's ack wait. */
  timeoutMs: number;
  /** Jobs older than this (from acceptance) are reported expired instead of delivered. */
  queueMaxAgeMs: number;
  /** deliver_sm in flight per session. Default DEFAULT_SMPP_WINDOW. */
  windowSize?: number;
  retryDelayMs?: number;
  throttleMaxWaitMs?: number;
  /** Queue sweeper tick; see QueueSweeper. */
  sweepIntervalMs?: number;
  /** Queue sweeper's first look after taking its lease; see QueueSweeperOptions.firstLookDelayMs. */
  sweepFirstLookMs?: number;
  /** The lease bucket's TTL (shared with the carrier leases: keep it equal to theirs). */
  leaseTtlMs?: number;
  /** SMPP_MAX_DELIVER: deliveries of a job before it is dead-lettered. Default DEFAULT_SMPP_MAX_DELIVER. */
  maxDeliver?: number;
  /** SMPP_FAILOVER_GRACE_SECS in ms: see FailoverMover. Default DEFAULT_FAILOVER_GRACE_MS. */
  failoverGraceMs?: number;
  /** The failover mover's tick (tests shorten it). */
  failoverIntervalMs?: number;
}

export interface SmppEgressDeps {
  bus: Bus;
  sessions: LocalBinds;
  client(id: number): ClientDetails | undefined;
  /** Every client, for the queue sweeper (legacy clients' queues are swept). */
  clients(): ClientDetails[];
  records: RecordWriter;
  /** Records a deliver_sm the client answered OK; never asks for it to be sent again. */
  sent: SentRecorder;
  legs: LegContext;
  failures: FailureReporter;
  logger: Logger;
  metrics: Metrics;
  /**
   * The cluster's receiving binds and the routing's failover decision: with them, messages
   * queued for a client that lost every bind move to its failover client (FailoverMover).
   */
  failover?: { receivers: ReceiverLookup; routing: Pick<FailoverRouting, 'apply' | 'choose'> };
}

type JobKind = 'message' | 'receipt';

export class SmppEgress {
  readonly #lanes = new Map<number, ClientLane>();
  readonly #abort = new AbortController();
  readonly #refs = new ConcatRefs();
  readonly #sweeper: QueueSweeper;
  readonly #mover?: FailoverMover;
  #unsubscribe?: () => void;
  #timer?: NodeJS.Timeout;
  #stopping?: Promise<void>;

  constructor(
    private readonly options: SmppEgressOptions,
    private readonly deps: SmppEgressDeps,
  ) {
    this.#sweeper = new QueueSweeper(
      {
        subjects: options.subjects,
        nodeId: options.nodeId,
        timeoutMs: options.timeoutMs,
        queueMaxAgeMs: options.queueMaxAgeMs,
        intervalMs: options.sweepIntervalMs,
        leaseTtlMs: options.leaseTtlMs,
        firstLookDelayMs: options.sweepFirstLookMs,
        maxDeliver: options.maxDeliver,
      },
      {
        bus: deps.bus,
        logger: deps.logger,
        clientIds: () =>
          deps
            .clients()
            .filter((c) => c.type === 'legacy')
            .map((c) => c.id),
        consumedHere: (id) => (this.#lanes.get(id)?.concurrency ?? 0) > 0,
        verdict: (msg) => this.sweepVerdict(msg),
      },
    );
    if (deps.failover) {
      this.#mover = new FailoverMover(
        {
          subjects: options.subjects,
          nodeId: options.nodeId,
          timeoutMs: options.timeoutMs,
          maxDeliver: options.maxDeliver,
          graceMs: options.failoverGraceMs,
          intervalMs: options.failoverIntervalMs,
          leaseTtlMs: options.leaseTtlMs,
        },
        {
          bus: deps.bus,
          logger: deps.logger,
          receivers: deps.failover.receivers,
          failover: deps.failover.routing,
          records: deps.records,
          legs: deps.legs,
          clientIds: () =>
            deps
              .clients()
              .filter((c) => c.type === 'legacy' && failoverOrder(c).length > 0)
              .map((c) => c.id),
        },
      );
    }
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.deps.sessions.onChange((clientId) => void this.refresh(clientId));
    const bound = new Set(this.deps.sessions.all().map((s) => s.clientId));
    await Promise.all([...bound].map((id) => this.refresh(id)));
    this.#timer = setInterval(() => {
      for (const lane of this.#lanes.values()) void lane.refresh();
    }, RECONCILE_MS);
    await this.#sweeper.start();
    await this.#mover?.start();
  }

  /** Stops consuming: jobs in flight finish, or go back to the stream when their session is gone. */
  stop(): Promise<void> {
    this.#stopping ??= this.stopAll();
    return this.#stopping;
  }

  /** Jobs this node may run at once for `clientId` (the sum of its sessions' windows; 0: not consuming). */
  concurrency(clientId: number): number {
    return this.#lanes.get(clientId)?.concurrency ?? 0;
  }

  private refresh(clientId: number): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    let lane = this.#lanes.get(clientId);
    if (!lane) {
      const pool = new SessionPool(clientId, this.deps.sessions, this.options.windowSize ?? DEFAULT_SMPP_WINDOW);
      lane = new ClientLane(pool, (l, concurrency) => this.consume(l, concurrency), this.deps.logger);
      this.#lanes.set(clientId, lane);
    }
    return lane.refresh();
  }

  private consume(lane: ClientLane, concurrency: number) {
    const spec = smppConsumerSpec(this.options.subjects, lane.clientId, this.options.timeoutMs, this.options.maxDeliver);
    return this.deps.bus.consume(spec, (msg) => this.handle(msg, lane), { concurrency });
  }

  private async stopAll(): Promise<void> {
    this.#unsubscribe?.();
    clearInterval(this.#timer);
    this.#abort.abort();
    const results = await Promise.allSettled([
      this.#sweeper.stop(),
      this.#mover?.stop(),
      ...[...this.#lanes.values()].map((lane) => lane.close()),
    ]);
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (errors.length) throw new AggregateError(errors, `stopping the SMPP egress failed ${errors.length} time(s)`);
  }

  /** One job from the client's queue. */
  async handle(msg: DurableMsg, lane: ClientLane): Promise<Outcome> {
    const job = this.decode(msg);
    if (!job) return term('undecodable');
    // Delivered by this node, not yet recorded (database and bus were down): record, never resend.
    const sentHere = job.kind === 'message' ? this.deps.sent.sentHere(job.egress.message.id) : undefined;
    if (sentHere) return this.deps.sent.recorded(sentHere);
    const stale = await this.expireIfStale(job);
    if (stale) return stale;
    const client = this.deps.client(lane.clientId);
    if (job.kind === 'message') return this.deliverMessage(msg, job.egress, client, lane);
    return this.deliverReceipts(msg, job.event, client, lane);
  }

  private decode(msg: DurableMsg): DeliveryJob | undefined {
    try {
      return deliveryJobCodec.decode(msg.data);
    } catch (err) {
      this.deps.logger.error({ err, subject: msg.subject }, 'smpp egress: dropping an undecodable job');
      return undefined;
    }
  }

  private async deliverMessage(msg: DurableMsg, egress: Egress, client: ClientDetails | undefined, lane: ClientLane): Promise<Outcome> {
    if (!client) {
      await this.fail(egress, `client ${lane.clientId} no longer exists`, lane.clientId);
      return term('client gone');
    }
    let plan: DeliverPlan;
    try {
      plan = messagePlan(egress.message, client.settings, this.#refs);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await this.fail(egress, err.message, lane.clientId);
      return term('cannot be sent over SMPP');
    }
    const result = await this.send(msg, plan, lane, client, 'message');
    if (result.kind !== 'sent') return this.notSent(result, egress, lane.clientId);
    return this.deps.sent.recorded({ v: 1, egress, status: 'delivered', reportDelivered: true });
  }

  private async notSent(result: Exclude<SendResult, { kind: 'sent' }>, egress: Egress, clientId: number): Promise<Outcome> {
    switch (result.kind) {
      case 'failed':
        await this.fail(egress, result.reason, clientId);
        return term('deliver_sm retries exhausted');
      case 'unbound':
        return retry(UNBOUND_RETRY_MS);
      case 'throttled':
        return retry(result.delayMs);
    }
  }

  private async deliverReceipts(
    msg: DurableMsg,
    event: StatusEvent,
    client: ClientDetails | undefined,
    lane: ClientLane,
  ): Promise<Outcome> {
    const plan = receiptPlan(event);
    if (!client || !plan) return ack;
    const result = await this.send(msg, plan, lane, client, 'receipt');
    switch (result.kind) {
      case 'sent':
        return ack;
      case 'failed':
        this.count(client, 'receipt', 'failed');
        this.deps.logger.warn(
          { client: client.username, messageId: event.messageId, reason: result.reason },
          'smpp egress: delivery receipt given up',
        );
        return term('receipt retries exhausted');
      case 'unbound':
        return retry(UNBOUND_RETRY_MS);
      case 'throttled':
        return retry(result.delayMs);
    }
  }

  private send(msg: DurableMsg, plan: DeliverPlan, lane: ClientLane, client: ClientDetails, kind: JobKind): Promise<SendResult> {
    // The ack wait is timeoutMs + a margin; a third of the timeout leaves room for one slow deliver_sm.
    const alive = keepAlive(msg, Math.max(1_000, this.options.timeoutMs / 3));
    return sendParts(
      { pool: lane.pool, ...plan, msg: alive, signal: this.#abort.signal, observe: (event) => this.observe(client, kind, event) },
      {
        retries: this.options.retries,
        retryDelayMs: this.options.retryDelayMs ?? DEFAULT_SMPP_RETRY_DELAY_MS,
        throttleMaxWaitMs: this.options.throttleMaxWaitMs ?? DEFAULT_THROTTLE_MAX_WAIT_MS,
      },
    );
  }

  /**
   * A job older than the queue's max age is not delivered: a message is reported expired to its
   * sender (record and status event), a receipt is dropped with a log line (it is the report).
   */
  private async expireIfStale(job: DeliveryJob): Promise<Outcome | undefined> {
    const since = jobTime(job);
    const age = Date.now() - since;
    if (age <= this.options.queueMaxAgeMs) return undefined;
    const clientId = job.kind === 'message' ? receiverOf(job.egress) : job.clientId;
    const client = this.deps.client(clientId);
    if (job.kind === 'status') {
      this.count(client, 'receipt', 'expired');
      this.deps.logger.warn(
        { clientId, messageId: job.event.messageId, status: job.event.status, ageMs: age },
        'smpp egress: delivery receipt expired before the client bound',
      );
      return term('receipt expired');
    }
    this.count(client, 'message', 'expired');
    await this.deps.failures.report({
      egress: job.egress,
      message: job.egress.message,
      senderClientId: job.egress.senderClientId,
      code: ErrorCode.UNAVAILABLE,
      status: 'expired',
      reason: `not delivered within ${Math.round(this.options.queueMaxAgeMs / 1000)} s: client ${clientId} was not bound`,
    });
    return term('expired');
  }

  /** What the queue sweeper does with a job it meets: expire it, or learn the queue's head is fresh. */
  private async sweepVerdict(msg: DurableMsg): Promise<SweepVerdict> {
    const job = this.decode(msg);
    if (!job) return { outcome: term('undecodable') };
    const stale = await this.expireIfStale(job);
    return stale ? { outcome: stale } : { freshSince: jobTime(job) };
  }

  private async fail(egress: Egress, reason: string, clientId: number): Promise<void> {
    this.count(this.deps.client(clientId), 'message', 'failed');
    this.deps.metrics.egress.inc({ protocol: 'smpp', carrier: '', result: 'failed' });
    await this.deps.failures.report({
      egress,
      message: egress.message,
      senderClientId: egress.senderClientId,
      code: ErrorCode.UNAVAILABLE,
      reason,
    });
  }

  private observe(client: ClientDetails, kind: JobKind, event: SendEvent): void {
    const { metrics } = this.deps;
    const labels = { client: client.username, kind };
    if (event.seconds !== undefined) metrics.smppDeliverLatency.observe(labels, event.seconds);
    this.count(client, kind, event.kind);
    if (kind === 'message') {
      metrics.egress.inc({ protocol: 'smpp', carrier: '', result: event.kind === 'sent' ? 'ok' : 'retry' });
      if (event.seconds !== undefined) metrics.egressLatency.observe({ protocol: 'smpp', carrier: '' }, event.seconds);
    }
    if (event.kind === 'retried') {
      const logEvent = event.cause === 'timeout' ? LogEvent.AckTimeout : event.cause === 'non_ok' ? LogEvent.AckNonOK : undefined;
      this.deps.logger.info(
        { event: logEvent, client: client.username, kind, reason: event.reason },
        'smpp egress: deliver_sm will be retried',
      );
    }
  }

  private count(client: ClientDetails | undefined, kind: JobKind, result: string): void {
    this.deps.metrics.smppDeliver.inc({ client: client?.username ?? '', kind, result });
  }
}

/** When the job's clock started: a message's acceptance, a status's time. */
function jobTime(job: DeliveryJob): number {
  return job.kind === 'message' ? job.egress.message.receivedAt : job.event.at;
}

function receiverOf(egress: Egress): number {
  return egress.receiverClientId ?? (egress.route.kind === 'smpp' ? egress.route.clientId : 0);
}
