import { messageCodec, type Egress, type Message } from '../../proto/message.js';
import type { IngressKind, Subjects } from '../../proto/subjects.js';
import type { Metrics } from '../metrics/index.js';
import { limitExceededError, type QuotaGate, type QuotaRefusal } from '../quota/index.js';
import { legsFor } from '../records/index.js';
import { decide, type RoutingView } from './decide.js';
import { publishEgress, type EgressPublishDeps } from './egress-publish.js';
import type { FailureReporter } from './failures.js';
import type { IngressMemory } from './ingress-memory.js';
import { checkQuota, publishAdmitted, reportRefusal } from './quota-check.js';

export interface IngressRouterOptions {
  subjects: Subjects;
}

export interface IngressRouterDeps extends EgressPublishDeps {
  view: RoutingView;
  metrics: Metrics;
  /** Quotas of the clients at both ends, checked before a routed message is stored. */
  quota?: QuotaGate;
  /** Reports a message the receiver's quota refused; without it the refusal is only recorded. */
  failures?: Pick<FailureReporter, 'report'>;
  /** Caller keys already stored (ingress-memory.ts); without it only the bus's window dedups. */
  memory?: IngressMemory;
  /**
   * True when the ledger holds a leg of this message id: asked about a repeatable message whose
   * id is its caller key (a REST Idempotency-Key) when the memory does not know it. A first try
   * whose outcome was unknown is never in the memory, and the bus forgets the key of a message
   * consumed before a nats-server restart; a message some worker handled has a leg.
   */
  recorded?: (messageId: string) => Promise<boolean>;
  /** Told of every message being stored, so the node's sends can yield to it (egress/ingress-first.ts). */
  load?: { enter(): void; leave(): void };
}

/**
 * Routing at ingress (docs/decisions.md, "Routing at ingress"): a message that can be
 * routed is decided on the node that accepted it and published straight to its egress subject,
 * which saves the msg.in hop (a publish, a pull and an ack per message). The answer to the
 * sender still waits for that acknowledged, deduplicated publish, so "accepted" still means
 * "stored". A message that cannot be routed goes to msg.in as before: the router workers report
 * its failure, exactly as when every message took that path.
 */
export class IngressRouter {
  constructor(
    private readonly options: IngressRouterOptions,
    private readonly deps: IngressRouterDeps,
  ) {}

  /**
   * Stores `message` durably (routed, or on msg.in for the router). Rejects when it could not
   * be stored: OutcomeUnknownError when it may have been (no PubAck came; its quota units are
   * kept, and a resend with the same dedupKey within the bus's window enters once), any other
   * error when it was not (its units are given back). `dedupKey` (default: the message id)
   * makes a retried ingress enter once, e.g. a carrier's own message id for a webhook the
   * carrier sends again. `repeatable` (default: a dedupKey other than the id) says the caller
   * may send this key again later: it is then looked up in and kept by the ingress memory, and
   * counted once by the quota.
   *
   * Rejects with QuotaRefusedError, storing nothing, when the sender is over its quota. When the
   * receiving client is over its inbound quota (limit_both), the message is accepted and reported
   * failed, so a carrier still gets its 200 and does not send it again.
   */
  async accept(kind: IngressKind, message: Message, dedupKey = message.id, repeatable = dedupKey !== message.id): Promise<void> {
    const { load } = this.deps;
    load?.enter();
    try {
      await this.enterOnce(kind, message, dedupKey, repeatable);
    } finally {
      load?.leave();
    }
  }

  /** Stores `message` unless its caller key was stored before (the memory, or the ledger). */
  private async enterOnce(kind: IngressKind, message: Message, dedupKey: string, repeatable: boolean): Promise<void> {
    // A caller's own key (a carrier's message id, a REST Idempotency-Key) may come again, long
    // after the bus's dedup window; a fresh id never does, and costs no lookup.
    const callerKey = repeatable ? dedupKey : undefined;
    if (callerKey !== undefined && (await this.seenBefore(callerKey, message.id))) {
      this.deps.metrics.routed.inc({ route: 'repeat' });
      return;
    }
    await this.store(kind, message, dedupKey, callerKey);
    if (callerKey !== undefined) await this.deps.memory?.remember(callerKey);
  }

  private async seenBefore(callerKey: string, messageId: string): Promise<boolean> {
    const { memory, recorded } = this.deps;
    if (memory && (await memory.seen(callerKey))) return true;
    if (!recorded || callerKey !== messageId) return false;
    try {
      return await recorded(messageId);
    } catch (err) {
      // Like the memory, it only saves duplicates: the bus's own dedup window still applies.
      this.deps.logger.warn({ err, id: messageId }, 'ledger unavailable; taking the message as new');
      return false;
    }
  }

  private async store(kind: IngressKind, message: Message, dedupKey: string, callerKey: string | undefined): Promise<void> {
    const started = performance.now();
    const decision = decide(message, this.deps.view);
    if (decision.kind !== 'route') {
      await this.deps.bus.publishDurable(this.options.subjects.msgIn(kind), messageCodec.encode(message), { msgId: dedupKey });
      return;
    }
    const { egress } = decision;
    const quota = await checkQuota(egress, this.deps.quota, callerKey);
    if (quota.kind === 'refused') {
      if (quota.side === 'sender') throw limitExceededError(quota.refusal);
      await this.refused(egress, quota.refusal);
      this.deps.metrics.routed.inc({ route: 'rejected' });
      return;
    }
    await publishAdmitted(quota, () => publishEgress(egress, this.options.subjects, this.deps, dedupKey));
    this.deps.metrics.routed.inc({ route: egress.route.kind });
    this.deps.metrics.routingLatency.observe((performance.now() - started) / 1000);
  }

  private async refused(egress: Egress, refusal: QuotaRefusal): Promise<void> {
    if (this.deps.failures) return reportRefusal(this.deps.failures, egress, refusal);
    await this.deps.records.write(...legsFor(egress, this.deps.legs, 'rejected', { error: refusal.message }));
  }
}
