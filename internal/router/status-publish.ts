import { statusCodec, type StatusEvent } from '../../proto/status.js';
import type { Subjects } from '../../proto/subjects.js';
import type { DurableBus } from '../bus/index.js';

/**
 * The bus dedup key of a status event: one event per message and status. A carrier's event is
 * keyed by the carrier and its own id when it names one, so a callback the carrier repeats is
 * stored once whichever id it gives.
 */
export function statusDedupKey(event: StatusEvent): string {
  if (event.carrierId !== undefined) return `${event.carrierId}:${event.carrierMsgId || event.messageId}:${event.status}`;
  return `${event.messageId}:status:${event.status}`;
}

/**
 * Stores a status event on status.<id> for the status router: the gateway's message id, or the
 * carrier's when a callback names only that. The one way a status enters the gateway.
 */
export async function publishStatus(
  bus: Pick<DurableBus, 'publishDurable'>,
  subjects: Pick<Subjects, 'status'>,
  event: StatusEvent,
): Promise<void> {
  const id = event.messageId || event.carrierMsgId;
  if (!id) throw new RangeError('a status event must name a message');
  await bus.publishDurable(subjects.status(id), statusCodec.encode(event), { msgId: statusDedupKey(event) });
}
