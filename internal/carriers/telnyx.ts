/**
 * Telnyx Messaging v2 (upstream §10.1, field-notes §5.2).
 *
 * Carrier row: `password` = API v2 key (Bearer), `profileId` = messaging_profile_id,
 * `publicKey` = the account's base64 Ed25519 webhook key, `apiBaseUrl` overrides
 * https://api.telnyx.com. Departures from upstream: MMS keep their `text` beside `media_urls`;
 * webhooks are signature-checked; `message.finalized` becomes a delivery status; a STOP block
 * is a CarrierError with `optOut` (upstream returned the id "STOP_MESSAGE"); only
 * `message.received` without recipients is a 400 (upstream refused any event without them).
 */
import { createPublicKey, verify as edVerify, type KeyObject } from 'node:crypto';
import type { Carrier } from '../store/index.js';
import type { DeliveryStatus } from '../../proto/status.js';
import { takesUnsignedWebhooks } from '../../proto/carrier-types.js';
import { apiUrl, badAnswerError, callCarrier, isSuccess, parseJson, pick, refusedError, str, type CarrierRefusal } from './http.js';
import { badRequest, emptyResult, header, isObject, validMedia } from './inbound.js';
import type {
  CarrierDriver,
  InboundMedia,
  InboundRequest,
  InboundResult,
  OutboundMessage,
  SendContext,
  SendResult,
  VerifyRequest,
} from './types.js';

const TELNYX_API = 'https://api.telnyx.com';

/** The literal Telnyx puts in the refusal when the recipient sent STOP (upstream §10.1). */
const STOP_BLOCK = 'Blocked due to STOP message';
/** Telnyx 40318: the account's message queue is full (field-notes §5.2); it drains, so try again later. */
const QUEUE_FULL = '40318';

/** Telnyx's SDKs refuse webhooks older than 300 s; we refuse that far off in either direction. */
export const TELNYX_TOLERANCE_MS = 5 * 60_000;

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the 32-byte key follows. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// ---- send ----------------------------------------------------------------------------------

/** The /v2/messages body, empty fields omitted as upstream's `omitempty` did. */
export function telnyxSendBody(msg: OutboundMessage, profileId: string): Record<string, unknown> {
  const body: Record<string, unknown> = { from: msg.from, to: msg.to };
  if (msg.type === 'sms' || msg.text) body.text = msg.text;
  if (msg.type === 'mms') {
    body.subject = 'MMS Content';
    body.media_urls = msg.mediaUrls;
  }
  if (profileId) body.messaging_profile_id = profileId;
  return body;
}

async function send(msg: OutboundMessage, carrier: Carrier, ctx: SendContext): Promise<SendResult> {
  const call = {
    carrier: 'telnyx',
    what: 'send',
    url: apiUrl(carrier.apiBaseUrl, TELNYX_API, '/v2/messages'),
    headers: {
      authorization: `Bearer ${carrier.password}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify(telnyxSendBody(msg, carrier.profileId)),
    http: ctx.http,
    fetch: ctx.fetch,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
  };
  const reply = await callCarrier(call);
  if (!isSuccess(reply.status)) throw refusedError(call, reply.status, telnyxRefusal(reply.text));
  const id = str(pick(parseJson(reply.text), 'data', 'id'));
  if (!id) throw badAnswerError(call, reply.status, 'the answer has no data.id');
  return { carrierMsgId: id };
}

/** Reads Telnyx's error body `{errors: [{code, title, detail}]}`. */
export function telnyxRefusal(text: string): CarrierRefusal {
  const first = pick(parseJson(text), 'errors', 0);
  const code = str(pick(first, 'code'));
  const title = str(pick(first, 'title'));
  const detail = str(pick(first, 'detail'));
  const message = [title, detail].filter(Boolean).join(': ') || text.slice(0, 200);
  return {
    code: code || undefined,
    message: message || undefined,
    optOut: text.includes(STOP_BLOCK),
    ...(code === QUEUE_FULL ? { retryable: true } : {}),
  };
}

// ---- verify --------------------------------------------------------------------------------

/** The carrier row's base64 raw 32-byte key as a KeyObject; undefined when it is not one. */
export function telnyxPublicKey(base64: string): KeyObject | undefined {
  const raw = Buffer.from(base64.trim(), 'base64');
  if (raw.length !== 32) return undefined;
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/**
 * Parsed keys by their base64 text: building a KeyObject costs as much as the verification
 * itself. The keys come from carrier rows, so they are few; the cap only bounds a churn of edits.
 */
const parsedKeys = new Map<string, KeyObject | undefined>();
const MAX_PARSED_KEYS = 256;

function cachedPublicKey(base64: string): KeyObject | undefined {
  if (parsedKeys.has(base64)) return parsedKeys.get(base64);
  if (parsedKeys.size >= MAX_PARSED_KEYS) parsedKeys.clear();
  const key = telnyxPublicKey(base64);
  parsedKeys.set(base64, key);
  return key;
}

function verify(req: VerifyRequest, carrier: Carrier): boolean {
  if (takesUnsignedWebhooks(carrier)) return true;
  const signature = header(req.headers, 'telnyx-signature-ed25519');
  const timestamp = header(req.headers, 'telnyx-timestamp');
  if (!signature || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = req.receivedAtMs ?? Date.now();
  if (Math.abs(now - Number(timestamp) * 1000) > TELNYX_TOLERANCE_MS) return false;
  try {
    const key = cachedPublicKey(carrier.publicKey);
    if (!key) return false;
    // Signed bytes: `${timestamp}|${rawBody}`, the raw body as received (never re-serialised).
    const signed = Buffer.concat([Buffer.from(`${timestamp}|`, 'utf8'), req.rawBody]);
    return edVerify(null, signed, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

// ---- inbound -------------------------------------------------------------------------------

/** message.finalized `to[0].status` → DeliveryStatus (field-notes §5.4). */
const FINAL_STATUS: Record<string, DeliveryStatus> = {
  delivered: 'delivered',
  sending_failed: 'failed',
  delivery_failed: 'undelivered',
  delivery_unconfirmed: 'unknown',
};

export function mapTelnyxStatus(word: string): DeliveryStatus {
  return Object.hasOwn(FINAL_STATUS, word) ? FINAL_STATUS[word] : 'unknown';
}

function phone(value: unknown): string {
  return str(pick(value, 'phone_number'));
}

function inboundMedia(payload: Record<string, unknown>): InboundMedia[] {
  const list = Array.isArray(payload.media) ? payload.media : [];
  return list.flatMap((item: unknown) => {
    const part = validMedia(str(pick(item, 'url')), str(pick(item, 'content_type')));
    return part ? [part] : [];
  });
}

function received(payload: Record<string, unknown>): InboundResult {
  const from = phone(payload.from);
  // Upstream routes to the first recipient only; group MMS (extra `to`, `cc`) is not fanned out.
  const to = phone(pick(payload, 'to', 0));
  if (!from || !to) return badRequest('message.received without from or to');
  const result = emptyResult();
  const text = str(payload.text);
  const media = inboundMedia(payload);
  if (text.trim() === '' && media.length === 0) return result;
  const id = str(payload.id);
  result.messages.push({ from, to, text, media, ...(id ? { carrierMsgId: id } : {}) });
  return result;
}

function sent(payload: Record<string, unknown>): InboundResult {
  const result = emptyResult();
  const id = str(payload.id);
  if (id) result.statuses.push({ carrierMsgId: id, status: 'sent', carrierStatus: 'sent' });
  return result;
}

function finalized(payload: Record<string, unknown>): InboundResult {
  const result = emptyResult();
  const id = str(payload.id);
  if (!id || payload.direction === 'inbound') return result;
  const word = str(pick(payload, 'to', 0, 'status'));
  const error = pick(payload, 'errors', 0);
  const errorCode = str(pick(error, 'code'));
  const errorText = str(pick(error, 'title')) || str(pick(error, 'detail'));
  result.statuses.push({
    carrierMsgId: id,
    status: mapTelnyxStatus(word),
    carrierStatus: word,
    ...(errorCode ? { errorCode } : {}),
    ...(errorText ? { errorText } : {}),
  });
  return result;
}

function parseInbound(req: InboundRequest): InboundResult {
  const body = parseJson(req.rawBody.toString('utf8'));
  const data = pick(body, 'data');
  if (!isObject(data)) return badRequest('not a Telnyx v2 event: no data object');
  const payload = isObject(data.payload) ? data.payload : {};
  switch (data.event_type) {
    case 'message.received':
      return received(payload);
    case 'message.sent':
      return sent(payload);
    case 'message.finalized':
      return finalized(payload);
    default:
      return emptyResult();
  }
}

export const telnyxDriver: CarrierDriver<'telnyx'> = {
  type: 'telnyx',
  /** Telnyx account limits: 50 SMS/s and 15 MMS/s (field-notes §5.2). */
  defaultMaxRps: 50,
  defaultMaxMmsRps: 15,
  send,
  verify,
  parseInbound,
  /** Telnyx media URLs are public (upstream fetched them with no auth). */
  mediaAuth: (_carrier: Carrier, _url: string) => ({}),
};
