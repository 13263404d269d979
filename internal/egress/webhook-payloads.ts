import { randomUUID } from 'node:crypto';
import type { Egress, MediaRef } from '../../proto/message.js';
import type { StatusEvent } from '../../proto/status.js';
import { clientNumber, type ApiFormat, type ClientDetails } from '../store/index.js';
import type { InlineMedia } from './webhook-media.js';

/**
 * Webhook bodies in the three formats web clients chose (upstream-behaviour.md §11.3), keys and
 * shapes as gomsggw sent them, with its gaps closed: the telnyx format carries media, MMS keep
 * their text, and every generic media item has its URL, with its `base64` when `inline` holds it
 * (carrier MMS included, which gomsggw sent without content).
 */

export function messagePayload(format: ApiFormat, egress: Egress, client: ClientDetails, inline: InlineMedia = new Map()): unknown {
  const m = egress.message;
  const number = clientNumber(client, m.to);
  const received = new Date(m.receivedAt).toISOString();
  switch (format) {
    case 'bicom':
      return { from: m.from, to: m.to, text: m.text, media_urls: m.media.map((p) => p.url).filter(Boolean) };
    case 'telnyx':
      return {
        data: {
          event_type: 'message.received',
          id: randomUUID(),
          occurred_at: received,
          record_type: 'event',
          payload: {
            id: m.id,
            direction: 'inbound',
            type: m.type.toUpperCase(),
            text: m.text,
            received_at: received,
            from: { phone_number: m.from },
            to: [{ phone_number: m.to }],
            media: m.media.map((p) => ({ url: p.url ?? '', content_type: p.contentType, size: p.sizeBytes })),
          },
        },
      };
    default:
      return {
        id: m.id,
        from: m.from,
        to: m.to,
        text: m.text,
        type: m.type,
        timestamp: received,
        ...(number?.tag ? { tag: number.tag } : {}),
        ...(number?.group ? { group: number.group } : {}),
        ...(m.media.length > 0 ? { media: m.media.map((p, i) => genericMedia(p, inline.get(i))) } : {}),
      };
  }
}

/** A generic media item: gomsggw's keys (filename, content_type, base64) and our URL beside them. */
function genericMedia(part: MediaRef, base64: string | undefined) {
  return { filename: part.filename, content_type: part.contentType, ...(base64 !== undefined ? { base64 } : {}), url: part.url ?? '' };
}

/** Telnyx's own words for a recipient's status (message.finalized `to[].status`). */
const TELNYX_STATUS: Record<StatusEvent['status'], string> = {
  queued: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'delivery_failed',
  failed: 'sending_failed',
  expired: 'delivery_failed',
  rejected: 'sending_failed',
  unknown: 'delivery_unconfirmed',
};

/**
 * A delivery status for a message the client sent, or undefined for the bicom format:
 * PBXware's connector URL accepts messages only.
 */
export function statusPayload(format: ApiFormat, event: StatusEvent): unknown | undefined {
  const at = new Date(event.at).toISOString();
  const errors = event.errorCode || event.errorText ? [{ code: event.errorCode ?? '', title: event.errorText ?? '' }] : [];
  switch (format) {
    case 'bicom':
      return undefined;
    case 'telnyx':
      return {
        data: {
          event_type: event.status === 'sent' ? 'message.sent' : 'message.finalized',
          id: randomUUID(),
          occurred_at: at,
          record_type: 'event',
          payload: {
            id: event.messageId,
            direction: 'outbound',
            from: { phone_number: event.from },
            to: [{ phone_number: event.to, status: TELNYX_STATUS[event.status] }],
            errors,
            completed_at: at,
          },
        },
      };
    default:
      return {
        id: event.messageId,
        type: 'status',
        status: event.status,
        from: event.from,
        to: event.to,
        timestamp: at,
        ...(event.carrierMsgId ? { carrier_message_id: event.carrierMsgId } : {}),
        ...(event.errorCode ? { error_code: event.errorCode } : {}),
        ...(event.errorText ? { error: event.errorText } : {}),
      };
  }
}
