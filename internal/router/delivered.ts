import type { Egress } from '../../proto/message.js';
import type { StatusEvent } from '../../proto/status.js';
import type { Subjects } from '../../proto/subjects.js';
import type { DurableBus } from '../bus/index.js';
import { textPreview, type LegContext } from '../records/index.js';
import type { ClientDetails } from '../store/index.js';
import { forwardStatus } from './status-forward.js';

/**
 * An internal message (both ends are clients) reached its receiver: the sender hears
 * 'delivered', as a carrier's callback would tell it (a receipt, a status webhook, an MM4
 * delivery report). Notices get none. The sender's leg was just recorded with this status, and
 * the egress knows all the status router would look up, so the event goes straight to the
 * sender's egress (status-forward.ts): no status event, no ledger lookup. Deduplicated, so a
 * redelivered job tells it once.
 */
export async function reportDelivered(
  egress: Egress,
  subjects: Subjects,
  deps: { bus: Pick<DurableBus, 'publishDurable'>; legs: LegContext; client(id: number): ClientDetails | undefined },
): Promise<void> {
  const m = egress.message;
  if (egress.senderClientId === undefined || m.notice) return;
  const sender = deps.client(egress.senderClientId);
  if (!sender) return;
  const event: StatusEvent = {
    v: 1,
    messageId: m.id,
    status: 'delivered',
    clientId: sender.id,
    from: m.from,
    to: m.to,
    at: Date.now(),
    submittedAt: m.receivedAt,
    // What an SMPP receipt needs, as the status router reads it from the sender's leg.
    registeredDelivery: m.smpp?.registeredDelivery ?? 0,
    partIds: m.smpp?.partIds?.length ? m.smpp.partIds : undefined,
    textPreview: deps.legs.logPrivacy(sender.id) ? '' : textPreview(m.text),
  };
  await forwardStatus(event, sender, m.type, subjects, deps.bus);
}
