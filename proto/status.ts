import { z } from 'zod';
import { jsonCodec } from './codec.js';

/**
 * status.*, version 1: a delivery status for one message, from a carrier callback or decided
 * by the gateway (failed after retries, expired, rejected). The status router turns it into an
 * SMPP delivery receipt or a status webhook for the client that sent the message.
 */
export const DeliveryStatus = {
  QUEUED: 'queued',
  /** Accepted by the carrier (Telnyx message.sent, Twilio sent). */
  SENT: 'sent',
  DELIVERED: 'delivered',
  /** Reached the carrier, not the handset (Twilio undelivered, Telnyx delivery_failed). */
  UNDELIVERED: 'undelivered',
  /** Never left (carrier refused it, or the gateway gave up). */
  FAILED: 'failed',
  EXPIRED: 'expired',
  REJECTED: 'rejected',
  UNKNOWN: 'unknown',
} as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

export const FINAL_STATUSES: ReadonlySet<DeliveryStatus> = new Set([
  'delivered',
  'undelivered',
  'failed',
  'expired',
  'rejected',
  'unknown',
]);

export const statusEventSchema = z.object({
  v: z.literal(1),
  /**
   * The gateway's message id. Empty when a carrier callback names only its own id: the status
   * router then finds the message by (carrierId, carrierMsgId).
   */
  messageId: z.string().default(''),
  status: z.enum(['queued', 'sent', 'delivered', 'undelivered', 'failed', 'expired', 'rejected', 'unknown']),
  /** The client to tell (the sender); absent when the sender is a carrier. */
  clientId: z.number().int().positive().optional(),
  from: z.string().default(''),
  to: z.string().default(''),
  carrierId: z.number().int().positive().optional(),
  carrierMsgId: z.string().optional(),
  /** Stable error code (proto/errors.ts) or the carrier's own code. */
  errorCode: z.string().optional(),
  errorText: z.string().optional(),
  /** Milliseconds since the epoch. */
  at: z.number(),
  /** When the message was accepted (for receipts' submit date). */
  submittedAt: z.number().optional(),
  /**
   * registered_delivery of the sender's submit_sm (SMPP 3.4 §5.2.17), so the SMPP egress knows
   * whether a receipt is due (receiptWanted). The status router fills it from the record.
   */
  registeredDelivery: z.number().int().min(0).max(255).optional(),
  /** A reassembled concatenated submit: each part's message id; one receipt goes out per id. */
  partIds: z.array(z.string()).optional(),
  /** The message's first characters, quoted by a receipt's `text:` ('' under log privacy). */
  textPreview: z.string().optional(),
});
export type StatusEvent = z.infer<typeof statusEventSchema>;
export type StatusEventInput = z.input<typeof statusEventSchema>;
export const statusCodec = jsonCodec(statusEventSchema);
