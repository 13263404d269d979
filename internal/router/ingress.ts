import { messageCodec, type Message } from '../../proto/message.js';
import type { IngressKind, Subjects } from '../../proto/subjects.js';
import type { Metrics } from '../metrics/index.js';
import { decide, type RoutingView } from './decide.js';
import { publishEgress, type EgressPublishDeps } from './egress-publish.js';

export interface IngressRouterOptions {
  subjects: Subjects;
}

export interface IngressRouterDeps extends EgressPublishDeps {
  view: RoutingView;
  metrics: Metrics;
}

/**
 * Routing at the front door (docs/decisions.md, "Routing at ingress"): a message that can be
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
   * be stored. `dedupKey` (default: the message id) makes a retried ingress enter once, e.g. a
   * carrier's own message id for a webhook the carrier sends again.
   */
  async accept(kind: IngressKind, message: Message, dedupKey = message.id): Promise<void> {
    const started = performance.now();
    const decision = decide(message, this.deps.view);
    if (decision.kind !== 'route') {
      await this.deps.bus.publishDurable(this.options.subjects.msgIn(kind), messageCodec.encode(message), { msgId: dedupKey });
      return;
    }
    await publishEgress(decision.egress, this.options.subjects, this.deps, dedupKey);
    this.deps.metrics.routed.inc({ route: decision.egress.route.kind });
    this.deps.metrics.routingLatency.observe((performance.now() - started) / 1000);
  }
}
