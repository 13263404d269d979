/**
 * Where carriers call us back.
 *
 * - `POST {SERVER_ADDRESS}/inbound/{uuid}`: messages (and, for carriers that post everything to
 *   one URL such as a Telnyx messaging profile, statuses too) — upstream §5.11.
 * - `POST {SERVER_ADDRESS}/inbound/{uuid}/status/{messageId}`: the delivery-status callback we ask
 *   for per message (Twilio `StatusCallback`). The gateway message id in the path ties the status
 *   to our message without waiting for the message record that holds the carrier's id (records
 *   are written in batches, and Twilio's first callback can arrive within a second). The web
 *   room routes it to the same driver `verify` + `parseInbound`, passing `messageId`.
 *
 * Twilio signs the whole URL it called, so signatures are checked against SERVER_ADDRESS + path
 * (+ query), never the local request URL.
 */

/** Gateway message ids are ObjectIDs today; anything URL-safe up to 64 chars is accepted. */
export const CALLBACK_MESSAGE_ID = /^[A-Za-z0-9._~-]{1,64}$/;

function base(serverAddress: string): string {
  return serverAddress.trim().replace(/\/+$/, '');
}

/** The path of a carrier's inbound webhook. */
export function inboundWebhookPath(carrierUuid: string): string {
  return `/inbound/${encodeURIComponent(carrierUuid)}`;
}

/** The path of the per-message status callback. */
export function statusCallbackPath(carrierUuid: string, messageId: string): string {
  return `${inboundWebhookPath(carrierUuid)}/status/${encodeURIComponent(messageId)}`;
}

/** `{SERVER_ADDRESS}/inbound/{uuid}/status/{messageId}`; '' when no SERVER_ADDRESS is set. */
export function statusCallbackUrl(serverAddress: string, carrierUuid: string, messageId: string): string {
  if (!base(serverAddress)) return '';
  return `${base(serverAddress)}${statusCallbackPath(carrierUuid, messageId)}`;
}

/** True when `id` can be a status-callback message id (the route should 404 anything else). */
export function isCallbackMessageId(id: string): boolean {
  return CALLBACK_MESSAGE_ID.test(id);
}
