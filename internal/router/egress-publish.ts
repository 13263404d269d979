import { deliveryJobCodec } from '../../proto/delivery.js';
import { egressCodec, type Egress } from '../../proto/message.js';
import type { Subjects } from '../../proto/subjects.js';
import type { DurableBus } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import type { FailoverRouting } from './failover.js';
import { legsFor, type LegContext, type RecordWriter } from '../records/index.js';

/** Asked about every routed message first: true means it was answered and is not delivered. */
export interface EgressInterceptor {
  intercept(egress: Egress): Promise<boolean>;
}

export interface EgressPublishDeps {
  bus: Pick<DurableBus, 'publishDurable'>;
  records: RecordWriter;
  legs: LegContext;
  logger: Logger;
  /** Per-number auto-reply (internal/autoreply); none without it. */
  autoReply?: EgressInterceptor;
  /**
   * Sends a message whose media must be fetched or transcoded first to media.transcode
   * (internal/media MediaDetour.divert): false when it did not, else its publish's ack. The
   * transcode worker publishes it on.
   */
  divertMedia?: (egress: Egress, dedupKey: string) => Promise<false | { duplicate: boolean }>;
  /** Readdresses an SMPP message whose client cannot receive to a failover client (failover.ts). */
  failover?: Pick<FailoverRouting, 'apply'>;
}

/**
 * Publishes a routed message to its egress subject, deduplicated by `<dedupKey>:<route kind>`
 * (dedupKey defaults to the message id) so a retried ingress or a redelivered msg.in routes
 * once, then records its queued legs. Resolves 'duplicate' when the bus already held this key
 * (an earlier try was stored), else 'stored' (also for a message an auto-reply answered).
 */
export async function publishEgress(
  routed: Egress,
  subjects: Subjects,
  deps: EgressPublishDeps,
  dedupKey = routed.message.id,
): Promise<'stored' | 'duplicate'> {
  // An auto-replying number answers instead of receiving (upstream §13.5).
  if (await deps.autoReply?.intercept(routed)) return 'stored';
  // After the auto-reply: the number's owner answers even while a failover client receives.
  const egress = deps.failover ? await deps.failover.apply(routed) : routed;
  const { route, message } = egress;
  // One key whichever client the route names: a redelivery deciding the failover differently
  // (a bind came or went meanwhile) is a duplicate, so the message is queued once.
  const msgId = `${dedupKey}:${route.kind}`;
  // Media first: the transcode worker publishes it to its egress subject.
  const ack = (await deps.divertMedia?.(egress, dedupKey)) || (await publishRouted(egress, subjects, deps, msgId));
  // A repeat (a carrier's resent webhook, an MMSC's retried forward) is already on its way under
  // the first one's id: recording this copy's id would leave a row queued for ever.
  if (ack.duplicate) return 'duplicate';
  // The queued legs are not awaited: every later stage upserts the full legs again, so a
  // queued row lost with this node heals, and routing does not wait for the database. They are
  // held a moment, so a quick delivery on this node writes its row once (RecordWriter.hold).
  deps.records
    .hold(...legsFor(egress, deps.legs, 'queued'))
    .catch((err: unknown) => deps.logger.warn({ err, id: message.id }, 'could not record a queued message'));
  return 'stored';
}

function publishRouted(egress: Egress, subjects: Subjects, deps: EgressPublishDeps, msgId: string): Promise<{ duplicate: boolean }> {
  const { route } = egress;
  if (route.kind === 'carrier') {
    return deps.bus.publishDurable(subjects.msgOutCarrier(route.carrierId), egressCodec.encode(egress), { msgId });
  }
  const subject =
    route.kind === 'webhook'
      ? subjects.msgOutWebhook(route.clientId)
      : route.kind === 'smpp'
        ? subjects.msgOutSmpp(route.clientId)
        : subjects.msgOutMm4(route.clientId);
  return deps.bus.publishDurable(subject, deliveryJobCodec.encode({ v: 1, kind: 'message', egress }), { msgId });
}
