/**
 * OneVoicePlus / TELUS OneVoice DID Messaging (upstream §10.3).
 *
 * Carrier row: `password` = the `X-TELUS-SDF-Developer-Key`, `apiBaseUrl` overrides
 * https://api.telus.com/rest/v0/OneVoiceDIDMessaging_vs0/v1, `publicKey` = the webhook token
 * (below). Departures from upstream: MMS keep their text (`messageText`); media are fetched by
 * URL (through the worker's fetch) and uploaded, since the bytes no longer travel with the
 * message; any 2xx counts as success (upstream: only 200).
 *
 * Webhook authenticity: the API documents no signature. We use a shared secret: the carrier
 * row's `publicKey` must arrive either in the `X-OVP-Webhook-Token` header or as the `token`
 * query parameter of the webhook URL (configure `https://gw/inbound/<uuid>?token=<secret>` when
 * the portal cannot set headers). Without a token set, webhooks are taken unsigned as gomsggw
 * took them, and the admin API and the logs warn about it (unsignedWebhooksWarning).
 *
 * Delivery reports: whether and how OneVoicePlus posts them is unknown (upstream handled none);
 * the only status is the send result itself, which the carrier worker reports as `sent`.
 * Inbound MMS is not supported (as upstream): media in a webhook are ignored.
 */
import type { Carrier } from '../store/index.js';
import { takesUnsignedWebhooks } from '../../proto/carrier-types.js';
import { CarrierError } from '../errors/index.js';
import { constantTimeEqual } from '../crypto/index.js';
import {
  apiUrl,
  badAnswerError,
  callCarrier,
  isSuccess,
  parseJson,
  pick,
  refusedError,
  str,
  UPLOAD_TIMEOUT_MS,
  type CarrierReply,
  type CarrierRefusal,
} from './http.js';
import { badRequest, emptyResult, formFields, header, isForm, isObject } from './inbound.js';
import type { CarrierDriver, InboundRequest, InboundResult, OutboundMessage, SendContext, SendResult, VerifyRequest } from './types.js';

const OVP_API = 'https://api.telus.com/rest/v0/OneVoiceDIDMessaging_vs0/v1';
const KEY_HEADER = 'X-TELUS-SDF-Developer-Key';
/** Our webhook shared-secret header (no OVP scheme exists). */
export const OVP_TOKEN_HEADER = 'x-ovp-webhook-token';

interface OvpContext {
  carrier: Carrier;
  ctx: SendContext;
}

async function post(what: string, path: string, body: unknown, c: OvpContext, timeoutMs?: number): Promise<CarrierReply> {
  const call = {
    carrier: 'onevoiceplus',
    what,
    url: apiUrl(c.carrier.apiBaseUrl, OVP_API, path),
    headers: { [KEY_HEADER]: c.carrier.password, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    http: c.ctx.http,
    fetch: c.ctx.fetch,
    signal: c.ctx.signal,
    timeoutMs: timeoutMs ?? c.ctx.timeoutMs,
  };
  const reply = await callCarrier(call);
  if (!isSuccess(reply.status)) throw refusedError(call, reply.status, ovpRefusal(reply.text));
  return reply;
}

/** OVP error bodies are undocumented: take a code/message if there is one, else the text. */
export function ovpRefusal(text: string): CarrierRefusal {
  const body = parseJson(text);
  const code = str(pick(body, 'code')) || str(pick(body, 'status'));
  const message = str(pick(body, 'message')) || str(pick(body, 'description')) || text.slice(0, 200);
  return { code: code || undefined, message: message || undefined };
}

/** OVP returns no id (upstream §10.3); use one if a later API version sends it. */
function replyId(reply: CarrierReply): string {
  const body = parseJson(reply.text);
  return str(pick(body, 'messageId')) || str(pick(body, 'id'));
}

// ---- media ---------------------------------------------------------------------------------

interface MediaFile {
  fileName: string;
  contentType: string;
  bytes: Buffer;
}

/** OVP's fileType: image | audio | video | file, from the content type's prefix. */
export function ovpFileType(contentType: string): 'image' | 'audio' | 'video' | 'file' {
  const prefix = contentType.split('/')[0]?.trim().toLowerCase();
  return prefix === 'image' || prefix === 'audio' || prefix === 'video' ? prefix : 'file';
}

function fileNameOf(url: string): string {
  const segment = new URL(url).pathname.split('/').filter(Boolean).pop() ?? 'media';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function fetchMedia(url: string, c: OvpContext): Promise<MediaFile> {
  const call = {
    carrier: 'onevoiceplus',
    what: `media fetch ${url}`,
    url,
    method: 'GET' as const,
    http: c.ctx.http,
    fetch: c.ctx.fetch,
    signal: c.ctx.signal,
  };
  const reply = await callCarrier(call);
  if (!isSuccess(reply.status)) throw refusedError(call, reply.status, { message: reply.text.slice(0, 200) || undefined });
  const contentType = reply.headers.get('content-type')?.split(';')[0]?.trim() || 'application/octet-stream';
  return { fileName: fileNameOf(url), contentType, bytes: reply.body };
}

async function uploadMedia(file: MediaFile, c: OvpContext): Promise<string> {
  const body = {
    controlPart: { fileName: file.fileName, fileType: ovpFileType(file.contentType) },
    mediaPart: { contentType: 'application/octet-stream', mediaContent: file.bytes.toString('base64') },
  };
  const reply = await post('media upload', '/media/assets', body, c, UPLOAD_TIMEOUT_MS);
  const mediaId = str(pick(parseJson(reply.text), 'mediaId'));
  if (!mediaId) throw badAnswerError({ carrier: 'onevoiceplus', what: 'media upload' }, reply.status, 'the answer has no mediaId');
  return mediaId;
}

/** Fetches and uploads each part in turn (≤ 10), skipping SMIL as upstream did. */
async function uploadAll(urls: string[], c: OvpContext): Promise<string[]> {
  const ids: string[] = [];
  for (const url of urls) {
    const file = await fetchMedia(url, c);
    if (file.contentType.toLowerCase() === 'application/smil') continue;
    ids.push(await uploadMedia(file, c));
  }
  return ids;
}

// ---- send ----------------------------------------------------------------------------------

async function sendSms(msg: OutboundMessage, c: OvpContext): Promise<SendResult> {
  const reply = await post('send', '/sms/outbound', { source: msg.from, destination: msg.to, messageText: msg.text }, c);
  return { carrierMsgId: replyId(reply) };
}

async function sendMms(msg: OutboundMessage, c: OvpContext): Promise<SendResult> {
  const mediaId = await uploadAll(msg.mediaUrls, c);
  if (mediaId.length === 0) {
    throw new CarrierError('no media files to send via OneVoicePlus MMS', { retryable: false });
  }
  const body = { source: msg.from, destination: msg.to, mediaId, ...(msg.text ? { messageText: msg.text } : {}) };
  const reply = await post('send', '/mms/outbound', body, c);
  return { carrierMsgId: replyId(reply) };
}

function send(msg: OutboundMessage, carrier: Carrier, ctx: SendContext): Promise<SendResult> {
  return msg.type === 'mms' ? sendMms(msg, { carrier, ctx }) : sendSms(msg, { carrier, ctx });
}

// ---- verify and inbound --------------------------------------------------------------------

function presentedToken(req: VerifyRequest): string {
  const fromHeader = header(req.headers, OVP_TOKEN_HEADER);
  if (fromHeader) return fromHeader;
  try {
    return new URL(req.url).searchParams.get('token') ?? '';
  } catch {
    return '';
  }
}

function verify(req: VerifyRequest, carrier: Carrier): boolean {
  if (takesUnsignedWebhooks(carrier)) return true;
  const token = presentedToken(req);
  return carrier.publicKey !== '' && token !== '' && constantTimeEqual(token, carrier.publicKey);
}

function decodeBody(req: InboundRequest): Record<string, unknown> | undefined {
  if (isForm(req.contentType)) return formFields(req.rawBody);
  const body = parseJson(req.rawBody.toString('utf8'));
  return isObject(body) ? body : undefined;
}

function parseInbound(req: InboundRequest): InboundResult {
  const body = decodeBody(req);
  if (!body) return badRequest('OneVoicePlus webhook body is not a JSON object');
  const from = str(body.from);
  const to = str(body.to);
  if (!from || !to) return badRequest('OneVoicePlus webhook without from or to');
  const result = emptyResult();
  const text = str(body.message);
  if (text.trim() === '') return result;
  const id = str(body.messageId);
  result.messages.push({ from, to, text, media: [], ...(id ? { carrierMsgId: id } : {}) });
  return result;
}

export const onevoiceplusDriver: CarrierDriver<'onevoiceplus'> = {
  type: 'onevoiceplus',
  /** No published limits: a conservative 10 messages/s until the operator sets max_rps. */
  defaultMaxRps: 10,
  defaultMaxMmsRps: 10,
  send,
  verify,
  parseInbound,
  mediaAuth: (_carrier: Carrier, _url: string) => ({}),
};
