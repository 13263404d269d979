/**
 * A status event as delivery receipts for the client that sent the message:
 * one receipt deliver_sm (esm_class 0x04, receipted_message_id and message_state TLVs) per
 * message id the client was given — one, or one per part of a reassembled long submit — sent
 * only when the submit's registered_delivery asks for it. The receipt comes from the original
 * destination and goes to the original source.
 */
import { receiptWanted } from '../../proto/smpp-status.js';
import type { StatusEvent } from '../../proto/status.js';
import { deliverAddresses, type DeliverPlan } from './deliver-job.js';
import { buildReceipt } from './receipt.js';
import type { SmppPart } from './types.js';

/** The receipts due for `event`, or undefined when registered_delivery asks for none. */
export function receiptPlan(event: StatusEvent): DeliverPlan | undefined {
  if (!receiptWanted(event.status, event.registeredDelivery ?? 0)) return undefined;
  const ids = event.partIds?.length ? event.partIds : [event.messageId];
  const parts = ids.map((messageId): SmppPart => {
    const receipt = buildReceipt({
      messageId,
      status: event.status,
      submittedAt: event.submittedAt,
      doneAt: event.at,
      errorCode: event.errorCode,
      text: event.textPreview,
    });
    // Only the PDU's fields: the receipt's text and stat are already in shortMessage.
    return { shortMessage: receipt.shortMessage, esmClass: receipt.esmClass, dataCoding: receipt.dataCoding, tlvs: receipt.tlvs };
  });
  return { addresses: deliverAddresses(event.to, event.from), parts };
}
