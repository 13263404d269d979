/**
 * Delivery status → SMPP 3.4 delivery receipt fields (field-notes §5.4), for the SMPP room's
 * receipts: the `stat:` word of the receipt text and the `message_state` TLV (0x0427).
 *
 * | DeliveryStatus | Twilio MessageStatus          | Telnyx                    | stat    | message_state |
 * |----------------|-------------------------------|---------------------------|---------|---------------|
 * | queued         | queued, accepted, scheduled, sending | (queued)           | ENROUTE | 1 (intermediate) |
 * | sent           | sent                          | message.sent              | ACCEPTD | 6 (intermediate) |
 * | delivered      | delivered, read               | delivered                 | DELIVRD | 2 |
 * | undelivered    | undelivered                   | delivery_failed           | UNDELIV | 5 |
 * | failed         | failed, canceled              | sending_failed            | REJECTD | 8 |
 * | rejected       | —                             | —                         | REJECTD | 8 |
 * | expired        | (validity expired)            | —                         | EXPIRED | 3 |
 * | unknown        | —                             | delivery_unconfirmed      | UNKNOWN | 7 |
 *
 * Twilio `canceled` would be DELETED/4, but DeliveryStatus has no such value yet; it is reported
 * as failed (REJECTD) with the carrier status kept in `carrierStatus`.
 */
import type { DeliveryStatus } from './status.js';

/** SMPP 3.4 message_state values (§5.2.28). */
export const MessageState = {
  ENROUTE: 1,
  DELIVERED: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIVERABLE: 5,
  ACCEPTED: 6,
  UNKNOWN: 7,
  REJECTED: 8,
} as const;
export type MessageState = (typeof MessageState)[keyof typeof MessageState];

/** The `stat:` words of an SMPP 3.4 receipt (Appendix B). */
export type SmppStat = 'ENROUTE' | 'DELIVRD' | 'EXPIRED' | 'DELETED' | 'UNDELIV' | 'ACCEPTD' | 'UNKNOWN' | 'REJECTD';

export interface SmppReceiptStatus {
  stat: SmppStat;
  messageState: MessageState;
  /**
   * False for intermediate states: send their receipt only when registered_delivery asks for
   * intermediate notifications (bit 0x10).
   */
  final: boolean;
}

const TABLE: Record<DeliveryStatus, SmppReceiptStatus> = {
  queued: { stat: 'ENROUTE', messageState: MessageState.ENROUTE, final: false },
  sent: { stat: 'ACCEPTD', messageState: MessageState.ACCEPTED, final: false },
  delivered: { stat: 'DELIVRD', messageState: MessageState.DELIVERED, final: true },
  undelivered: { stat: 'UNDELIV', messageState: MessageState.UNDELIVERABLE, final: true },
  failed: { stat: 'REJECTD', messageState: MessageState.REJECTED, final: true },
  rejected: { stat: 'REJECTD', messageState: MessageState.REJECTED, final: true },
  expired: { stat: 'EXPIRED', messageState: MessageState.EXPIRED, final: true },
  unknown: { stat: 'UNKNOWN', messageState: MessageState.UNKNOWN, final: true },
};

/** The receipt fields for a delivery status. */
export function smppReceiptStatus(status: DeliveryStatus): SmppReceiptStatus {
  return TABLE[status];
}

/**
 * Whether a receipt for `status` is due under the submit's registered_delivery (SMPP 3.4
 * §5.2.17): bits 0–1 = 1 always, 2 failure only; bit 4 (0x10) = intermediate notifications.
 */
export function receiptWanted(status: DeliveryStatus, registeredDelivery: number): boolean {
  const entry = TABLE[status];
  if (!entry.final) return (registeredDelivery & 0x10) !== 0;
  const receipt = registeredDelivery & 0x03;
  if (receipt === 1) return true;
  return receipt === 2 && status !== 'delivered';
}
