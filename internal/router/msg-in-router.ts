import { messageCodec, type Egress } from '../../proto/message.js';
import type { Subjects } from '../../proto/subjects.js';
import { ack, maxDeliverFor, backoffDelay, retry, term, type Bus, type Consumer, type DurableMsg, type Outcome } from '../bus/index.js';
import { LogEvent, type Logger } from '../log/index.js';
import { ErrorCode } from '../errors/index.js';
import type { Metrics } from '../metrics/index.js';
import type { LegContext, RecordWriter } from '../records/index.js';
import { decide, type RoutingView } from './decide.js';
import type { FailureReporter } from './failures.js';
import { publishEgress } from './egress-publish.js';
import type { QuotaGate } from '../quota/index.js';
import { checkQuota, publishAdmitted, reportRefusal } from './quota-check.js';

/** Handlers at once per node: routing is I/O-bound (a publish and a batched record write). */
export const DEFAULT_ROUTER_CONCURRENCY = 256;
/** In flight across the cluster; bounds what a dead node holds until its ack wait expires. */
const MAX_ACK_PENDING = 4096;
const ACK_WAIT_MS = 30_000;
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;
/** gomsggw's log event for a routing refusal: decide() refuses a sender's number as FORBIDDEN, a destination as VALIDATION. */
const REJECT_EVENTS: Partial<Record<string, LogEvent>> = {
  [ErrorCode.FORBIDDEN]: LogEvent.InvalidSenderNumber,
  [ErrorCode.VALIDATION]: LogEvent.InvalidDestinationNumber,
};

export interface MsgInRouterOptions {
  subjects: Subjects;
  concurrency?: number;
  /** BUS_MAX_DELIVER: deliveries before a message is dead-lettered. Default DEFAULT_MAX_DELIVER. */
  maxDeliver?: number;
}

export interface MsgInRouterDeps {
  bus: Bus;
  view: RoutingView;
  records: RecordWriter;
  legs: LegContext;
  failures: FailureReporter;
  logger: Logger;
  metrics: Metrics;
  /** Quotas of the clients at both ends; a refused message is reported failed to its sender. */
  quota?: QuotaGate;
}

/**
 * The router workers: one durable consumer of msg.in.* shared by every node. Each message is
 * decided (decide.ts), published to its egress subject (deduplicated by message id, so a
 * redelivery after a crash routes once), recorded, and only then acked.
 *
 * Beside IngressRouter, which routes at ingress with the same decide/checkQuota/publishEgress:
 * what reaches msg.in is made inside the gateway (failure notices, auto-replies) or was refused
 * at ingress, and is routed or reported off any caller's request path, retried until it is.
 */
export class MsgInRouter {
  #consumer?: Consumer;

  constructor(
    private readonly options: MsgInRouterOptions,
    private readonly deps: MsgInRouterDeps,
  ) {}

  async start(): Promise<void> {
    const s = this.options.subjects;
    this.#consumer = await this.deps.bus.consume(
      {
        stream: s.streams.in,
        durable: 'router',
        filterSubject: s.msgInAll,
        ackWaitMs: ACK_WAIT_MS,
        maxAckPending: MAX_ACK_PENDING,
        maxDeliver: maxDeliverFor(this.options.maxDeliver),
        deadLetterSubject: s.deadLetter(s.streams.in),
      },
      (msg) => this.handle(msg),
      { concurrency: this.options.concurrency ?? DEFAULT_ROUTER_CONCURRENCY },
    );
  }

  async stop(): Promise<void> {
    await this.#consumer?.stop();
  }

  async handle(msg: DurableMsg): Promise<Outcome> {
    const started = performance.now();
    let message;
    try {
      message = messageCodec.decode(msg.data);
    } catch (err) {
      this.deps.logger.error({ err, subject: msg.subject }, 'dropping an undecodable message from msg.in');
      return term('undecodable');
    }
    try {
      const decision = decide(message, this.deps.view);
      let label = 'rejected';
      if (decision.kind === 'route') label = await this.route(decision.egress);
      else {
        this.deps.logger.warn(
          { event: REJECT_EVENTS[decision.code], id: message.id, code: decision.code, reason: decision.reason },
          'message not routable',
        );
        await this.deps.failures.report({
          message: decision.message,
          senderClientId: decision.senderClientId,
          code: decision.code,
          reason: decision.reason,
          status: 'rejected',
        });
      }
      this.deps.metrics.routed.inc({ route: label });
      this.deps.metrics.routingLatency.observe((performance.now() - started) / 1000);
      return ack;
    } catch (err) {
      this.deps.logger.warn({ err, id: message.id, attempt: msg.deliveryCount }, 'routing failed; will retry');
      return retry(backoffDelay(msg.deliveryCount, RETRY_BASE_MS, RETRY_MAX_MS));
    }
  }

  /** Publishes a message its clients' quotas admit, else reports it failed; the metrics label. */
  private async route(egress: Egress): Promise<string> {
    // Keyed by the message id, so a redelivery (this node died after counting) counts once.
    const quota = await checkQuota(egress, this.deps.quota, egress.message.id);
    if (quota.kind === 'refused') {
      await reportRefusal(this.deps.failures, egress, quota.refusal);
      return 'rejected';
    }
    await publishAdmitted(quota, () => publishEgress(egress, this.options.subjects, this.deps));
    return egress.route.kind;
  }
}
