import { deliveryJobCodec } from '../../proto/delivery.js';
import { egressCodec, type Egress } from '../../proto/message.js';
import type { Subjects } from '../../proto/subjects.js';
import type { DurableBus } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import { legsFor, type LegContext, type RecordWriter } from '../records/index.js';

export interface EgressPublishDeps {
  bus: Pick<DurableBus, 'publishDurable'>;
  records: RecordWriter;
  legs: LegContext;
  logger: Logger;
}

/**
 * Publishes a routed message to its egress subject, deduplicated by `<dedupKey>:<route kind>`
 * (dedupKey defaults to the message id) so a retried ingress or a redelivered msg.in routes
 * once, then records its queued legs.
 */
export async function publishEgress(
  egress: Egress, subjects: Subjects, deps: EgressPublishDeps, dedupKey = egress.message.id,
): Promise<void> {
  const { route, message } = egress;
  const msgId = `${dedupKey}:${route.kind}`;
  if (route.kind === 'carrier') {
    await deps.bus.publishDurable(subjects.msgOutCarrier(route.carrierId), egressCodec.encode(egress), { msgId });
  } else {
    const subject = route.kind === 'webhook' ? subjects.msgOutWebhook(route.clientId)
      : route.kind === 'smpp' ? subjects.msgOutSmpp(route.clientId) : subjects.msgOutMm4(route.clientId);
    await deps.bus.publishDurable(subject, deliveryJobCodec.encode({ v: 1, kind: 'message', egress }), { msgId });
  }
  // The queued legs are not awaited: every later stage upserts the full legs again, so a
  // queued row lost with this node heals, and routing does not wait for the database.
  deps.records.write(...legsFor(egress, deps.legs, 'queued')).catch((err: unknown) =>
    deps.logger.warn({ err, id: message.id }, 'could not record a queued message'));
}
