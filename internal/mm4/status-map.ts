/**
 * MM4 status codes ⇄ the gateway's delivery statuses (proto/status.ts). Request status codes
 * are TS 23.140 §8.4.1.2 (MM4_forward.RES); MM status codes §8.4.2.1 (MM4_delivery_report.REQ).
 */
import type { DeliveryStatus } from '../../proto/status.js';

/** Error codes that say the peer will never take this message: rejected, not a passing fault. */
const REFUSALS = new Set([
  'error-service-denied',
  'error-message-format-corrupt',
  'error-sending-address-unresolved',
  'error-content-not-accepted',
  'error-unsupported-message',
]);

/** X-Mms-Request-Status-Code of an MM4_forward.RES → status of the message it answers. */
export function statusFromRequestStatus(code: string): DeliveryStatus {
  const c = code.trim().toLowerCase();
  if (c === 'ok') return 'delivered';
  return REFUSALS.has(c) ? 'rejected' : 'failed';
}

const MM_STATUS: Record<string, DeliveryStatus> = {
  retrieved: 'delivered',
  forwarded: 'delivered',
  expired: 'expired',
  rejected: 'rejected',
  deferred: 'sent',
  indeterminate: 'unknown',
  unrecognised: 'unknown',
  unrecognized: 'unknown',
};

/** X-Mms-MM-Status-Code of an MM4_delivery_report.REQ → delivery status. */
export function statusFromMmStatus(code: string): DeliveryStatus {
  return MM_STATUS[code.trim().toLowerCase()] ?? 'unknown';
}

/** A delivery status → X-Mms-MM-Status-Code for a report to a legacy client; undefined: no report. */
export function mmStatusFor(status: DeliveryStatus): string | undefined {
  switch (status) {
    case 'delivered':
      return 'Retrieved';
    case 'expired':
      return 'Expired';
    case 'rejected':
    case 'failed':
    case 'undelivered':
      return 'Rejected';
    case 'unknown':
      return 'Indeterminate';
    // queued/sent: not a report anyone asked for (Deferred would only add noise).
    default:
      return undefined;
  }
}
