import type { Egress } from '../../proto/message.js';
import { statusCodec } from '../../proto/status.js';
import type { Subjects } from '../../proto/subjects.js';
import type { DurableBus } from '../bus/index.js';

/**
 * An internal message (both ends are clients) reached its receiver: the sender hears
 * 'delivered', as a carrier's callback would tell it (a receipt, a status webhook, an MM4
 * delivery report). Notices get none. Deduplicated, so a redelivered job tells it once.
 */
export async function reportDelivered(egress: Egress, subjects: Subjects, bus: Pick<DurableBus, 'publishDurable'>): Promise<void> {
  const m = egress.message;
  if (egress.senderClientId === undefined || m.notice) return;
  await bus.publishDurable(subjects.status(m.id), statusCodec.encode({
    v: 1, messageId: m.id, status: 'delivered', clientId: egress.senderClientId, from: m.from, to: m.to,
    at: Date.now(), submittedAt: m.receivedAt,
  }), { msgId: `${m.id}:status:delivered` });
}
