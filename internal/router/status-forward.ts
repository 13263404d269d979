import { deliveryJobCodec } from '../../proto/delivery.js';
import { receiptWanted } from '../../proto/smpp-status.js';
import type { StatusEvent } from '../../proto/status.js';
import type { Subjects } from '../../proto/subjects.js';
import type { DurableBus } from '../bus/index.js';
import { clientNumber, type ClientDetails } from '../store/index.js';

/**
 * Where a web client's status webhooks for messages from `from` go: the number's own webhook,
 * else the client's default; '' when it has none, or when its format takes no status webhooks
 * (bicom).
 */
export function statusWebhookUrl(client: ClientDetails, from: string): string {
  if (client.settings?.apiFormat === 'bicom') return '';
  const number = clientNumber(client, from);
  return number?.webhook || client.settings?.defaultWebhook || '';
}

/**
 * Hands a status event to the egress of the client that sent the message: a status webhook
 * for a web client, an MM4 delivery report for an MMS, an SMPP delivery receipt otherwise.
 * Publishes nothing when the client would get nothing (no webhook URL, no receipt asked for),
 * so no job waits for a bind or a URL that will not come. Deduplicated per message and status.
 */
export async function forwardStatus(
  event: StatusEvent,
  client: ClientDetails,
  type: 'sms' | 'mms',
  subjects: Subjects,
  bus: Pick<DurableBus, 'publishDurable'>,
): Promise<void> {
  const subject =
    client.type === 'web'
      ? subjects.msgOutWebhook(client.id)
      : type === 'mms'
        ? subjects.msgOutMm4(client.id)
        : subjects.msgOutSmpp(client.id);
  if (client.type === 'web' && !statusWebhookUrl(client, event.from)) return;
  if (subject === subjects.msgOutSmpp(client.id) && !receiptWanted(event.status, event.registeredDelivery ?? 0)) return;
  await bus.publishDurable(subject, deliveryJobCodec.encode({ v: 1, kind: 'status', clientId: client.id, event }), {
    msgId: `${event.messageId}:dlr:${event.status}`,
  });
}
