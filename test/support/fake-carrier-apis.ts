/**
 * The three carrier APIs as the fake carrier server answers them: auth checks, the fields each
 * API requires, ids in each API's format, and error bodies in each API's shape
 * (upstream-behaviour §10.1–10.3, field-notes §5.1–5.2).
 */
import { randomBytes, randomUUID } from 'node:crypto';

export type ApiName = 'twilio' | 'telnyx' | 'ovp' | 'media' | 'unknown';

export interface ParsedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Form → name → value (repeated names → array); JSON → the value; otherwise the text. */
  body: unknown;
}

export interface ApiAnswer {
  status: number;
  /** Serialised as JSON unless it is a string or Buffer. */
  body: unknown;
  contentType?: string;
  /** The carrier id of an accepted message (Twilio SID, Telnyx uuid, OVP media id). */
  carrierMsgId?: string;
}

export interface Credentials {
  twilio: { accountSid: string; authToken: string };
  telnyx: { apiKey: string };
  ovp: { developerKey: string };
}

export interface ApiState {
  credentials: Credentials;
  /** Recipients that sent STOP. */
  optedOut: Set<string>;
  /** Media the server hosts for GET /media/{name}. */
  media: Map<string, { bytes: Buffer; contentType: string }>;
}

const TWILIO_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const OVP_PATHS = new Set(['/sms/outbound', '/mms/outbound', '/media/assets']);

/** Which API a request is for. */
export function apiOf(method: string, path: string): ApiName {
  if (method === 'POST' && TWILIO_PATH.test(path)) return 'twilio';
  if (method === 'POST' && path === '/v2/messages') return 'telnyx';
  if (method === 'POST' && OVP_PATHS.has(path)) return 'ovp';
  if (method === 'GET' && path.startsWith('/media/')) return 'media';
  return 'unknown';
}

function headerOf(req: ParsedRequest, name: string): string {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
}

// ---- Twilio --------------------------------------------------------------------------------

export function twilioError(status: number, code: number, message: string): ApiAnswer {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

function twilioAuthorised(req: ParsedRequest, creds: Credentials['twilio']): boolean {
  const sid = TWILIO_PATH.exec(req.path)?.[1];
  const expected = `Basic ${Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64')}`;
  return sid === creds.accountSid && headerOf(req, 'authorization') === expected;
}

export function answerTwilio(req: ParsedRequest, state: ApiState): ApiAnswer {
  if (!twilioAuthorised(req, state.credentials.twilio)) return twilioError(401, 20003, 'Authenticate');
  const to = field(req.body, 'To');
  const from = field(req.body, 'From');
  const media = [field(req.body, 'MediaUrl') ?? []].flat();
  if (typeof to !== 'string' || !to) return twilioError(400, 21604, "A 'To' phone number is required.");
  if (typeof from !== 'string' || !from) return twilioError(400, 21603, "A 'From' phone number is required.");
  if (!field(req.body, 'Body') && media.length === 0) return twilioError(400, 21602, 'Message body is required.');
  if (state.optedOut.has(to)) return twilioError(400, 21610, 'Attempt to send to unsubscribed recipient');
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const now = new Date().toUTCString();
  return {
    status: 201,
    carrierMsgId: sid,
    body: {
      account_sid: state.credentials.twilio.accountSid,
      api_version: '2010-04-01',
      body: field(req.body, 'Body') ?? '',
      date_created: now,
      date_updated: now,
      date_sent: null,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from,
      to,
      messaging_service_sid: null,
      num_media: String(media.length),
      num_segments: '1',
      price: null,
      price_unit: 'USD',
      sid,
      status: 'queued',
      uri: `/2010-04-01/Accounts/${state.credentials.twilio.accountSid}/Messages/${sid}.json`,
    },
  };
}

// ---- Telnyx --------------------------------------------------------------------------------

export function telnyxError(status: number, code: string, title: string, detail: string): ApiAnswer {
  return { status, body: { errors: [{ code, title, detail }] } };
}

export function answerTelnyx(req: ParsedRequest, state: ApiState): ApiAnswer {
  if (headerOf(req, 'authorization') !== `Bearer ${state.credentials.telnyx.apiKey}`) {
    return telnyxError(401, '10009', 'Authentication failed', 'The API key is missing or invalid.');
  }
  const to = field(req.body, 'to');
  const from = field(req.body, 'from');
  if (typeof to !== 'string' || typeof from !== 'string') {
    return telnyxError(400, '10015', 'Invalid parameter', 'from and to are required');
  }
  if (state.optedOut.has(to)) {
    return telnyxError(
      400,
      '40300',
      'Blocked due to STOP message',
      `Messages cannot be sent from '${from}' to '${to}' due to an existing block rule.`,
    );
  }
  const mediaUrls = field(req.body, 'media_urls');
  const media = Array.isArray(mediaUrls) ? mediaUrls : [];
  const id = randomUUID();
  return {
    status: 200,
    carrierMsgId: id,
    body: {
      data: {
        record_type: 'message',
        direction: 'outbound',
        id,
        type: media.length ? 'MMS' : 'SMS',
        messaging_profile_id: field(req.body, 'messaging_profile_id') ?? null,
        from: { phone_number: from, carrier: 'Telnyx', line_type: 'Wireless' },
        to: [{ phone_number: to, status: 'queued', carrier: 'T-Mobile USA', line_type: 'Wireless' }],
        text: field(req.body, 'text') ?? '',
        subject: field(req.body, 'subject') ?? null,
        media: media.map((url) => ({ url, content_type: null, sha256: null, size: null })),
        encoding: 'GSM-7',
        parts: 1,
        tags: [],
        cost: null,
        errors: [],
        received_at: new Date().toISOString(),
        sent_at: null,
        completed_at: null,
      },
    },
  };
}

// ---- OneVoicePlus --------------------------------------------------------------------------

function ovpError(status: number, message: string): ApiAnswer {
  return { status, body: { code: String(status), message } };
}

export function answerOvp(req: ParsedRequest, state: ApiState): ApiAnswer {
  if (headerOf(req, 'x-telus-sdf-developer-key') !== state.credentials.ovp.developerKey) {
    return ovpError(401, 'Invalid developer key');
  }
  if (req.path === '/media/assets') return answerOvpUpload(req);
  const destination = field(req.body, 'destination');
  if (typeof field(req.body, 'source') !== 'string' || typeof destination !== 'string') {
    return ovpError(400, 'source and destination are required');
  }
  if (req.path === '/mms/outbound' && !Array.isArray(field(req.body, 'mediaId'))) return ovpError(400, 'mediaId is required');
  if (state.optedOut.has(destination)) return ovpError(403, 'Recipient has opted out');
  // The real API answers 200 with no message id (upstream §10.3).
  return { status: 200, body: '', contentType: 'text/plain', carrierMsgId: '' };
}

function answerOvpUpload(req: ParsedRequest): ApiAnswer {
  const content = field(field(req.body, 'mediaPart'), 'mediaContent');
  if (typeof content !== 'string' || !content) return ovpError(400, 'mediaPart.mediaContent is required');
  const mediaId = randomUUID();
  return { status: 201, body: { mediaId }, carrierMsgId: mediaId };
}

// ---- media ---------------------------------------------------------------------------------

export function answerMedia(req: ParsedRequest, state: ApiState): ApiAnswer {
  const file = state.media.get(decodeURIComponent(req.path.slice('/media/'.length)));
  if (!file) return { status: 404, body: 'not found', contentType: 'text/plain' };
  return { status: 200, body: file.bytes, contentType: file.contentType };
}

/** The error body each API sends for an injected failure status. */
export function injectedError(api: ApiName, status: number): ApiAnswer {
  if (api === 'twilio') return twilioError(status, status === 429 ? 20429 : 20500, 'injected failure');
  if (api === 'telnyx') return telnyxError(status, status === 429 ? '10011' : '10007', 'Injected failure', 'injected failure');
  return ovpError(status, 'injected failure');
}
