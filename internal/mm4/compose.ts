/**
 * The MM4 mails the gateway writes, as raw RFC 5322 text (sent verbatim by nodemailer, so header
 * names keep gomsggw's exact spelling, upstream §9.4): MM4_forward.REQ to a legacy client, and
 * MM4_forward.RES, MM4_delivery_report.REQ/.RES answers and reports.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { buildSmil, smilElement } from './smil.js';
import { MM4_VERSION, Mm4MessageType } from './types.js';

const CRLF = '\r\n';
const BASE64_LINE = 76;
const BOUNDARY_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A part to send: bytes with their type and name. */
export interface OutboundPart {
  contentType: string;
  filename: string;
  bytes: Buffer;
}

export interface ForwardRequest {
  /** The gateway's message id: X-Mms-Transaction-Id, and X-Mms-message-Id `<id@host>`. */
  id: string;
  msgIdHost: string;
  from: string;
  to: string;
  originatorSystem: string;
  text: string;
  parts: readonly OutboundPart[];
  date?: Date;
}

/** RFC 1123 with a numeric zone (Go's RFC1123Z, which gomsggw used), always UTC. */
export function rfc1123z(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** gomsggw's boundary shape: `===============` and 16 random alphanumerics. */
function boundary(): string {
  const bytes = randomBytes(16);
  return `===============${[...bytes].map((b) => BOUNDARY_CHARS[b % BOUNDARY_CHARS.length]).join('')}`;
}

function base64Lines(bytes: Buffer): string {
  const text = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += BASE64_LINE) lines.push(text.slice(i, i + BASE64_LINE));
  return lines.join(CRLF);
}

/** A header value safe to write: no CR/LF (header injection), no quotes inside quoted params. */
function safe(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}

function quotedName(value: string): string {
  return safe(value).replace(/["\\]/g, '_');
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'video/quicktime': 'mov',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
  'audio/ogg': 'ogg',
  'audio/wav': 'wav',
  'text/plain': 'txt',
  'text/vcard': 'vcf',
  'text/x-vcard': 'vcf',
  'application/pdf': 'pdf',
};

/** Unique, non-empty part names: Content-Location is how SMIL refers to a part. */
export function partNames(parts: readonly Pick<OutboundPart, 'contentType' | 'filename'>[]): string[] {
  const used = new Set<string>(['0.smil', 'text.txt']);
  return parts.map((part, i) => {
    const type = part.contentType.split(';', 1)[0]!.trim().toLowerCase();
    let name = quotedName(part.filename).replace(/[/\\]/g, '_') || `part${i + 1}.${EXTENSIONS[type] ?? 'bin'}`;
    if (used.has(name)) name = `${i + 1}-${name}`;
    used.add(name);
    return name;
  });
}

/** A header block, each line `Name: value`. */
function headerLines(headers: ReadonlyArray<readonly [string, string]>): string {
  return headers.map(([name, value]) => `${name}: ${safe(value)}`).join(CRLF);
}

/**
 * MM4_forward.REQ in gomsggw's layout (§9.4): its header block and spellings, a generated SMIL
 * part first, then the parts base64-encoded at 76 columns. Departures: the text travels as a
 * text/plain part (gomsggw dropped it), video and audio get SMIL slides too, and the
 * multipart/related Content-Type names its SMIL root (RFC 2387 `type` and `start`).
 */
export function composeForwardReq(req: ForwardRequest): string {
  const b = boundary();
  const names = partNames(req.parts);
  const smilParts = [
    ...req.parts.map((p, i) => ({ name: names[i]!, contentType: p.contentType })),
    ...(req.text ? [{ name: 'text.txt', contentType: 'text/plain' }] : []),
  ];
  const head = headerLines([
    ['To', req.to],
    ['From', req.from],
    ['Content-Type', `multipart/related; boundary="${b}"; type="application/smil"; start="<0.smil>"`],
    ['MIME-Version', '1.0'],
    ['X-Mms-3GPP-Mms-Version', MM4_VERSION],
    ['X-Mms-message-Type', Mm4MessageType.FORWARD_REQ],
    ['X-Mms-message-Id', `<${req.id}@${req.msgIdHost}>`],
    ['X-Mms-Transaction-Id', req.id],
    ['X-Mms-Ack-Request', 'Yes'],
    ['X-Mms-Originator-System', req.originatorSystem],
    ['Date', rfc1123z(req.date ?? new Date())],
  ]);
  const sections = [
    [`--${b}`, 'Content-Id: <0.smil>', 'Content-Type: application/smil; name="0.smil"', '', buildSmil(smilParts)].join(CRLF),
    ...req.parts.map((part, i) => mediaSection(b, part, names[i]!)),
  ];
  if (req.text) {
    sections.push(mediaSection(b, { contentType: 'text/plain', filename: 'text.txt', bytes: Buffer.from(req.text, 'utf8') }, 'text.txt'));
  }
  return `${head}${CRLF}${CRLF}${sections.join(CRLF)}${CRLF}--${b}--${CRLF}`;
}

function mediaSection(b: string, part: OutboundPart, name: string): string {
  const type = safe(part.contentType).split(';', 1)[0]!.trim();
  const text = smilElement(type) === 'text';
  return [
    `--${b}`,
    `Content-Id: <${randomUUID().replace(/-/g, '')}>`,
    // Text is always written as UTF-8 (composeForwardReq encodes it so), and shown inline.
    `Content-Type: ${type}${text ? '; charset=utf-8' : ''}; name="${name}"`,
    ...(text ? [] : [`Content-Disposition: attachment; filename="${name}"`]),
    `Content-Location: ${name}`,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(part.bytes),
  ].join(CRLF);
}

export interface ResponseMail {
  type: typeof Mm4MessageType.FORWARD_RES | typeof Mm4MessageType.DELIVERY_REPORT_RES;
  /** Echoed from the request. */
  transactionId: string;
  messageId: string;
  /** Where the response goes: the request's X-Mms-Originator-System (or Sender). */
  to: string;
  /** The gateway's X-Mms-Originator-System. */
  sender: string;
  /** X-Mms-Request-Status-Code: `Ok` or an `Error-…` code (TS 23.140 §8.4.1.2). */
  status: string;
  statusText?: string;
  date?: Date;
}

/** MM4_forward.RES or MM4_delivery_report.RES: headers only, an empty text body. */
export function composeResponse(res: ResponseMail): string {
  const head = headerLines([
    ['From', res.sender],
    ['Sender', res.sender],
    ['To', res.to],
    ['Date', rfc1123z(res.date ?? new Date())],
    ['MIME-Version', '1.0'],
    ['Content-Type', 'text/plain; charset=us-ascii'],
    ['X-Mms-3GPP-MMS-Version', MM4_VERSION],
    ['X-Mms-Message-Type', res.type],
    ['X-Mms-Transaction-ID', res.transactionId],
    ['X-Mms-Message-ID', res.messageId],
    ['X-Mms-Request-Status-Code', res.status],
    ...(res.statusText ? [['X-Mms-Status-Text', res.statusText] as const] : []),
  ]);
  return `${head}${CRLF}${CRLF}`;
}

export interface DeliveryReportMail {
  /** A fresh transaction id for the report. */
  transactionId: string;
  /** The client's X-Mms-Message-ID of the reported MM. */
  messageId: string;
  /** The recipient whose status is reported, and the original sender, as MM4 addresses. */
  from: string;
  to: string;
  sender: string;
  /** X-Mms-MM-Status-Code: Retrieved, Expired, Rejected, Deferred, Indeterminate, Forwarded, Unrecognised. */
  mmStatus: string;
  statusText?: string;
  date?: Date;
}

/** MM4_delivery_report.REQ (TS 23.140 §8.4.2), asking for no acknowledgement. */
export function composeDeliveryReport(dr: DeliveryReportMail): string {
  const head = headerLines([
    ['From', dr.from],
    ['To', dr.to],
    ['Sender', dr.sender],
    ['Date', rfc1123z(dr.date ?? new Date())],
    ['MIME-Version', '1.0'],
    ['Content-Type', 'text/plain; charset=us-ascii'],
    ['X-Mms-3GPP-MMS-Version', MM4_VERSION],
    ['X-Mms-Message-Type', Mm4MessageType.DELIVERY_REPORT_REQ],
    ['X-Mms-Transaction-ID', dr.transactionId],
    ['X-Mms-Message-ID', dr.messageId],
    ['X-Mms-Ack-Request', 'No'],
    ['X-Mms-Forward-To-Originator-UA', 'Yes'],
    ['X-Mms-MM-Status-Code', dr.mmStatus],
    ...(dr.statusText ? [['X-Mms-Status-Text', dr.statusText] as const] : []),
  ]);
  return `${head}${CRLF}${CRLF}`;
}
