/**
 * Twilio Programmable Messaging (upstream §10.2, field-notes §5.1).
 *
 * Carrier row: `username` = Account SID, `password` = Auth Token, `apiBaseUrl` overrides
 * https://api.twilio.com. Departures from upstream: MMS keep their text in `Body`; every send
 * asks for a `StatusCallback`; error 21610 (unsubscribed recipient) is an opt-out, never retried;
 * webhooks are signature-checked; an inbound Body is kept whole (upstream split it into
 * 140-byte chunks, one webhook each).
 */
import { createHash, createHmac } from 'node:crypto';
import type { Carrier } from '../store/index.js';
import type { DeliveryStatus } from '../../proto/status.js';
import { takesUnsignedWebhooks } from '../../proto/carrier-types.js';
import { constantTimeEqual } from '../crypto/index.js';
import {
  apiUrl,
  badAnswerError,
  basicAuth,
  callCarrier,
  isSuccess,
  onCarrierHost,
  parseJson,
  pick,
  refusedError,
  str,
  type CarrierRefusal,
} from './http.js';
import { badRequest, emptyResult, formEntries, formFields, header, isForm, okResponse, validMedia } from './inbound.js';
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

const TWILIO_API = 'https://api.twilio.com';

/** Twilio error 21610: "Attempt to send to unsubscribed recipient" (the recipient sent STOP). */
const UNSUBSCRIBED = '21610';
/** Twilio error 21611: the sender's queue is full (10 h of backlog); it drains, so try again later. */
const QUEUE_FULL = '21611';

/** Upstream's reply to every Twilio webhook: empty TwiML (§10.2), byte for byte. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n</Response>';

/**
 * Where Twilio serves an inbound MMS's media (…/Messages/MM…/Media/ME…): its API host and the
 * regional ones (api.dublin.ie1.twilio.com). The media then redirects to storage, which gets no
 * credentials (url-guard.ts drops them on a cross-origin hop).
 */
const TWILIO_MEDIA_HOST = /^api(?:\.[a-z0-9-]+){0,2}\.twilio\.com$/;

/** Twilio media messages carry at most 10 parts. */
const MAX_MEDIA = 10;

// ---- send ----------------------------------------------------------------------------------

/** The Messages.json form: To, From, Body, repeated MediaUrl (MMS), StatusCallback. */
export function twilioSendForm(msg: OutboundMessage, statusCallbackUrl: string): URLSearchParams {
  const form = new URLSearchParams({ To: msg.to, From: msg.from, Body: msg.text });
  if (msg.type === 'mms') for (const url of msg.mediaUrls) form.append('MediaUrl', url);
  if (statusCallbackUrl) form.set('StatusCallback', statusCallbackUrl);
  return form;
}

async function send(msg: OutboundMessage, carrier: Carrier, ctx: SendContext): Promise<SendResult> {
  const path = `/2010-04-01/Accounts/${encodeURIComponent(carrier.username)}/Messages.json`;
  const call = {
    carrier: 'twilio',
    what: 'send',
    url: apiUrl(carrier.apiBaseUrl, TWILIO_API, path),
    headers: {
      authorization: basicAuth(carrier.username, carrier.password),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: twilioSendForm(msg, ctx.statusCallbackUrl).toString(),
    http: ctx.http,
    fetch: ctx.fetch,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
  };
  const reply = await callCarrier(call);
  if (!isSuccess(reply.status)) throw refusedError(call, reply.status, twilioRefusal(reply.text));
  const sid = str(pick(parseJson(reply.text), 'sid'));
  if (!sid) throw badAnswerError(call, reply.status, 'the answer has no message sid');
  return { carrierMsgId: sid };
}

/** Reads Twilio's error body `{code, message, more_info, status}`. */
export function twilioRefusal(text: string): CarrierRefusal {
  const body = parseJson(text);
  const code = str(pick(body, 'code'));
  const message = str(pick(body, 'message')) || text.slice(0, 200);
  return {
    code: code || undefined,
    message: message || undefined,
    optOut: code === UNSUBSCRIBED,
    ...(code === QUEUE_FULL ? { retryable: true } : {}),
  };
}

// ---- verify --------------------------------------------------------------------------------

/**
 * X-Twilio-Signature: base64(HMAC-SHA1(authToken, url + each param name+value, names sorted;
 * a repeated name contributes its distinct values sorted)) — as twilio-node computes it.
 */
export function twilioSignature(authToken: string, url: string, params: Map<string, string[]>): string {
  let data = url;
  for (const name of [...params.keys()].sort()) {
    for (const value of [...new Set(params.get(name))].sort()) data += name + value;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** The URL as Twilio may have signed it: with and without the default port (twilio-node does both). */
function urlVariants(raw: string): string[] {
  const url = new URL(raw);
  const withPort = url.port
    ? url.toString()
    : `${url.protocol}//${url.host}:${url.protocol === 'https:' ? 443 : 80}${url.pathname}${url.search}${url.hash}`;
  url.port = '';
  return [withPort, url.toString()];
}

function signedParams(req: VerifyRequest): Map<string, string[]> {
  if (isForm(header(req.headers, 'content-type'))) return formEntries(req.rawBody);
  const params = new Map<string, string[]>();
  for (const [name, value] of Object.entries(req.form ?? {})) params.set(name, [value]);
  return params;
}

function verify(req: VerifyRequest, carrier: Carrier): boolean {
  if (takesUnsignedWebhooks(carrier)) return true;
  const signature = header(req.headers, 'x-twilio-signature');
  if (!carrier.password || !signature) return false;
  try {
    const bodyHash = new URL(req.url).searchParams.get('bodySHA256');
    // JSON bodies: the body is signed through its hash in the query (validateRequestWithBody).
    const params = bodyHash === null ? signedParams(req) : new Map<string, string[]>();
    const bodyOk = bodyHash === null || constantTimeEqual(createHash('sha256').update(req.rawBody).digest('hex'), bodyHash);
    let signed = false;
    for (const url of urlVariants(req.url)) {
      signed = constantTimeEqual(twilioSignature(carrier.password, url, params), signature) || signed;
    }
    return signed && bodyOk;
  } catch {
    return false;
  }
}

// ---- inbound -------------------------------------------------------------------------------

/** Twilio MessageStatus → DeliveryStatus; undefined for inbound states (received, receiving). */
const STATUS: Record<string, DeliveryStatus> = {
  queued: 'queued',
  accepted: 'queued',
  scheduled: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  // DELETED/4 has no DeliveryStatus yet (proto/smpp-status.ts).
  canceled: 'failed',
};

export function mapTwilioStatus(word: string): DeliveryStatus | undefined {
  return Object.hasOwn(STATUS, word) ? STATUS[word] : undefined;
}

function isStatusCallback(fields: Record<string, string>, messageId: string | undefined): boolean {
  if (messageId !== undefined) return true;
  const word = fields.MessageStatus ?? fields.SmsStatus;
  return word !== undefined && word !== 'received' && word !== 'receiving' && fields.Body === undefined && fields.NumMedia === undefined;
}

function twimlResult(): InboundResult {
  return emptyResult(okResponse(EMPTY_TWIML, 'application/xml'));
}

function parseStatus(fields: Record<string, string>, messageId: string | undefined): InboundResult {
  const sid = fields.MessageSid || fields.SmsSid;
  if (!sid) return badRequest('status callback without MessageSid');
  const word = fields.MessageStatus || fields.SmsStatus || '';
  const status = mapTwilioStatus(word);
  const result = twimlResult();
  if (!status) return result;
  const errorCode = fields.ErrorCode && fields.ErrorCode !== '0' ? fields.ErrorCode : undefined;
  result.statuses.push({
    carrierMsgId: sid,
    status,
    carrierStatus: word,
    ...(messageId !== undefined && { messageId }),
    ...(errorCode !== undefined && { errorCode }),
  });
  return result;
}

function inboundMedia(fields: Record<string, string>): InboundMedia[] {
  const count = Math.min(Number.parseInt(fields.NumMedia ?? '0', 10) || 0, MAX_MEDIA);
  const media: InboundMedia[] = [];
  for (let i = 0; i < count; i++) {
    const part = validMedia(fields[`MediaUrl${i}`] ?? '', fields[`MediaContentType${i}`] ?? '');
    if (part) media.push(part);
  }
  return media;
}

function parseMessage(fields: Record<string, string>): InboundResult {
  if (!fields.From || !fields.To) return badRequest('message webhook without From or To');
  const result = twimlResult();
  const text = fields.Body ?? '';
  const media = inboundMedia(fields);
  if (text.trim() === '' && media.length === 0) return result;
  const carrierMsgId = fields.MessageSid || fields.SmsMessageSid || fields.SmsSid;
  result.messages.push({ from: fields.From, to: fields.To, text, media, ...(carrierMsgId && { carrierMsgId }) });
  return result;
}

function parseInbound(req: InboundRequest): InboundResult {
  if (!isForm(req.contentType)) return badRequest('Twilio webhooks must be application/x-www-form-urlencoded');
  const fields = formFields(req.rawBody);
  return isStatusCallback(fields, req.messageId) ? parseStatus(fields, req.messageId) : parseMessage(fields);
}

export const twilioDriver: CarrierDriver<'twilio'> = {
  type: 'twilio',
  /**
   * Twilio's limits are per sender (1 segment/s per US long code, queued up to 10 h) and per
   * account for MMS (25/s); the REST API answers 429 beyond the account's concurrency. 25/s
   * keeps MMS inside the account cap and SMS well inside the REST limit.
   */
  defaultMaxRps: 25,
  defaultMaxMmsRps: 25,
  send,
  verify,
  parseInbound,
  // A webhook names any URL it likes: the account's credentials go only to Twilio's own hosts.
  mediaAuth: (carrier: Carrier, url: string): Record<string, string> =>
    onCarrierHost(url, (host) => TWILIO_MEDIA_HOST.test(host), carrier.apiBaseUrl)
      ? { authorization: basicAuth(carrier.username, carrier.password) }
      : {},
};
