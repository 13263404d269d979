/**
 * The carriers room: one file per carrier API (twilio, telnyx, onevoiceplus), each a
 * `CarrierDriver` (send, verify, parseInbound, mediaAuth), registered by type in registry.ts.
 * Drivers are stateless; the carrier worker owns rate limits, retries and the leader lease.
 */
export type {
  CarrierDriver,
  HeaderMap,
  InboundMedia,
  InboundMessage,
  InboundRequest,
  InboundResponse,
  InboundResult,
  InboundStatus,
  OutboundMessage,
  SendContext,
  SendResult,
  VerifyRequest,
} from './types.js';
export type { CarrierType } from './registry.js';
export { CARRIER_TYPES, isCarrierType, driverFor, findDriver, carrierWebhooks, effectiveMaxRps } from './registry.js';
export type { SmppReceiptStatus, SmppStat } from '../../proto/smpp-status.js';
export { MessageState, smppReceiptStatus, receiptWanted } from '../../proto/smpp-status.js';
export { inboundWebhookPath, statusCallbackPath, statusCallbackUrl, isCallbackMessageId, CALLBACK_MESSAGE_ID } from './webhook-urls.js';
export { CARRIER_TIMEOUT_MS, UPLOAD_TIMEOUT_MS } from './http.js';
export { EMPTY_TWIML } from './twilio.js';
export { KeepAlivePool, fetchClient, HttpTimeoutError } from './http-client.js';
export type { HttpClient, HttpRequest, HttpResponse } from './http-client.js';
