/**
 * The carriers room's contract: one `CarrierDriver` per carrier API (twilio.ts, telnyx.ts,
 * onevoiceplus.ts), registered in one list (registry.ts). A driver is stateless: everything it
 * needs comes from the carrier row (store `Carrier`) and the per-call context, so one driver
 * object serves every carrier row of its type on every node.
 */
import type { Carrier } from '../store/index.js';
import type { DeliveryStatus } from '../../proto/status.js';
import type { HttpClient } from './http-client.js';

/** HTTP request headers as Node gives them (lowercase names). */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** One message to hand to a carrier. `from`/`to` are E.164 with a leading '+'. */
export interface OutboundMessage {
  /** The gateway's message id (for logs and the status callback URL). */
  id: string;
  type: 'sms' | 'mms';
  from: string;
  to: string;
  /** Sent with MMS too (upstream dropped it: §10.1–10.3). */
  text: string;
  /** Public URLs of the media parts (our `/media/{token}` links); SMIL is never listed. */
  mediaUrls: string[];
}

export interface SendContext {
  /** The carrier worker's keep-alive pool (KeepAlivePool.request). */
  http?: HttpClient;
  /** Used when `http` is absent (tests); defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per-call timeout (CARRIER_TIMEOUT_SECS); default 30 s. */
  timeoutMs?: number;
  /** Aborted once the worker has stopped and its drain is over; each call adds its own timeout (30 s, OVP upload 60 s). */
  signal: AbortSignal;
  /**
   * Where the carrier should post delivery statuses for this message (Twilio `StatusCallback`),
   * built with `statusCallbackUrl()` (webhook-urls.ts). '' = ask for none.
   */
  statusCallbackUrl: string;
}

export interface SendResult {
  /** The carrier's id for the message (Twilio SID, Telnyx uuid); '' when the API returns none (OVP). */
  carrierMsgId: string;
}

/** An inbound webhook as it arrived, for signature checks. */
export interface VerifyRequest {
  headers: HeaderMap;
  rawBody: Buffer;
  /**
   * The PUBLIC URL the carrier called: SERVER_ADDRESS + path + query (behind a proxy the local
   * request URL differs, and Twilio signs the URL it called).
   */
  url: string;
  /** Already-parsed form fields; the drivers parse `rawBody` themselves when absent. */
  form?: Record<string, string>;
  /** When the request arrived, ms since the epoch (Telnyx timestamp tolerance). Default now. */
  receivedAtMs?: number;
}

export interface InboundRequest {
  headers: HeaderMap;
  rawBody: Buffer;
  contentType: string;
  /** The gateway message id taken from a status-callback path (webhook-urls.ts), if any. */
  messageId?: string;
}

export interface InboundMedia {
  /** Carrier-hosted URL, as the webhook named it; fetch it with `mediaAuth(carrier, url)` headers. */
  url: string;
  contentType: string;
}

/** A message a carrier delivered to one of our numbers. */
export interface InboundMessage {
  from: string;
  to: string;
  /** The whole text, never split (upstream split Twilio bodies into 140-byte chunks). */
  text: string;
  media: InboundMedia[];
  carrierMsgId?: string;
}

/** A delivery status for a message we sent through the carrier. */
export interface InboundStatus {
  carrierMsgId: string;
  status: DeliveryStatus;
  /** The gateway message id, when the callback URL carried it (Twilio StatusCallback). */
  messageId?: string;
  /** The carrier's error code (Twilio ErrorCode, Telnyx errors[0].code). */
  errorCode?: string;
  errorText?: string;
  /** The carrier's status word, unmapped (for logs and records). */
  carrierStatus?: string;
}

/** What to answer the carrier. */
export interface InboundResponse {
  status: number;
  contentType: string;
  body: string;
}

/** What one webhook carried. A malformed body gives a 400 response and no messages or statuses. */
export interface InboundResult {
  messages: InboundMessage[];
  statuses: InboundStatus[];
  response: InboundResponse;
}

/** One carrier API. Adding a carrier means one file implementing this, one registry line, one test file. */
export interface CarrierDriver<T extends string = string> {
  readonly type: T;
  /**
   * Default egress cap in messages/s when the carrier row's `maxRps` is 0 (field-notes §5.1–5.2).
   */
  readonly defaultMaxRps: number;
  /** Lower account cap for MMS, messages/s (applies inside `maxRps`). */
  readonly defaultMaxMmsRps: number;
  /**
   * Hands one message to the carrier. Resolves with the carrier's id once the carrier accepted it.
   * Throws `CarrierError`: `retryable` for network errors, timeouts, 408/429/5xx; not retryable
   * for other 4xx; `optOut` when the recipient sent STOP.
   */
  send(msg: OutboundMessage, carrier: Carrier, ctx: SendContext): Promise<SendResult>;
  /**
   * True when the webhook is authentic, or when the carrier row takes webhooks unsigned
   * (`verifyWebhooks` off, or no key to verify with: proto/carrier-types.ts unsignedWebhooksWarning).
   * Never throws; compares in constant time.
   */
  verify(req: VerifyRequest, carrier: Carrier): boolean;
  /** Parses a webhook (messages and/or statuses) and says what to answer. Never throws. */
  parseInbound(req: InboundRequest, carrier: Carrier): InboundResult;
  /**
   * Headers needed to GET `url`, an inbound message's media (Twilio: Basic SID:token): the
   * carrier's credentials only when `url` is on the carrier's own hosts, else none.
   */
  mediaAuth(carrier: Carrier, url: string): Record<string, string>;
}
