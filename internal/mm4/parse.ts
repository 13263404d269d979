/**
 * Inbound MM4 mail → headers, text and media parts. mailparser decodes the MIME; a light check
 * first refuses what it would silently paper over (a multipart body without its boundary, a
 * base64 part that is not base64), since gomsggw failed those too and a half-read MMS must not
 * be routed as if whole.
 */
import { simpleParser, type Attachment } from 'mailparser';
import { ValidationError } from '../errors/index.js';
import { cleanText } from '../text/index.js';
import { headerBlock, readMm4Headers } from './headers.js';
import { Mm4MessageType, type Mm4Mail, type Mm4Part } from './types.js';

const HEADER_END = /\r?\n\r?\n/;
const BASE64_BODY = /^[A-Za-z0-9+/=\s]*$/;
const CONTROLS = /[\u0000-\u001f\u007f]/g;

/**
 * Parses one MM4 mail; rejects with ValidationError (554) when it is not well-formed. The header
 * block is checked first, so a missing required header is named as gomsggw named it (§9.2).
 */
export async function parseMm4(raw: Buffer): Promise<Mm4Mail> {
  const text = raw.toString('latin1');
  if (text.trim() === '') throw new ValidationError('empty message body');
  const headers = readMm4Headers(headerBlock(rawHeaderLines(text)));
  // Responses and reports are read from their headers alone; their bodies carry nothing we use.
  if (headers.messageType.toLowerCase() !== Mm4MessageType.FORWARD_REQ.toLowerCase()) return { headers, text: '', parts: [] };
  checkMime(text);
  const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
  const parts: Mm4Part[] = [];
  const texts = parsed.text ? [parsed.text] : [];
  for (const attachment of parsed.attachments) {
    const type = attachment.contentType.toLowerCase();
    if (type === 'application/smil') continue;
    if (type === 'text/plain') texts.push(attachment.content.toString('utf8'));
    else parts.push({ contentType: type, filename: filenameOf(attachment), bytes: attachment.content });
  }
  // The peer cannot fix its text: cleaned (cleanText) rather than refused.
  return { headers, text: cleanText(texts.map((t) => t.trim()).filter(Boolean).join('\n')), parts };
}

/** The top-level header lines, folded lines joined (RFC 5322 §2.2.3). */
function rawHeaderLines(text: string): string[] {
  const split = HEADER_END.exec(text);
  const head = split ? text.slice(0, split.index) : text;
  return head.split(/\r?\n(?![ \t])/);
}

/**
 * The part's filename, else its Content-Location (MMS peers name parts that way), else ''; its
 * control characters removed (a NUL could not be stored, a CR could end up in a header).
 */
function filenameOf(attachment: Attachment): string {
  const location = attachment.headers.get('content-location');
  const name = attachment.filename || (typeof location === 'string' ? location.split('/').pop()!.trim() : '');
  return cleanText(name.replace(CONTROLS, ''));
}

/** Raw structure checks, on the text as latin1 (one char per byte). */
export function checkMime(text: string): void {
  const split = HEADER_END.exec(text);
  const head = split ? text.slice(0, split.index) : text;
  const body = split ? text.slice(split.index + split[0].length) : '';
  // No Content-Type means text/plain (RFC 2045 §5.2); gomsggw refused it, swaks sends it so.
  const contentType = headerOf(head, 'content-type') ?? 'text/plain';
  if (!/^\s*multipart\//i.test(contentType)) {
    checkEncoding(head, body, 'the message body');
    return;
  }
  const boundary = paramOf(contentType, 'boundary');
  if (!boundary) throw new ValidationError('malformed MIME: multipart Content-Type without a boundary');
  const pieces = body.split(new RegExp(`^--${escapeRegExp(boundary)}`, 'm'));
  const closing = pieces.findIndex((p) => p.startsWith('--'));
  if (pieces.length < 2 || closing < 0) throw new ValidationError('malformed MIME: the multipart body does not end with its boundary');
  pieces.slice(1, closing).forEach((piece, i) => {
    const part = piece.replace(/^[ \t]*\r?\n/, '');
    const end = HEADER_END.exec(part);
    if (!end) throw new ValidationError(`malformed MIME: part ${i + 1} has no header/body separator`);
    checkEncoding(part.slice(0, end.index), part.slice(end.index + end[0].length), `part ${i + 1}`);
  });
}

function checkEncoding(head: string, body: string, what: string): void {
  const encoding = headerOf(head, 'content-transfer-encoding')?.trim().toLowerCase();
  if (encoding === 'base64' && !BASE64_BODY.test(body)) {
    throw new ValidationError(`malformed MIME: ${what} is not valid base64`);
  }
}

/** A header's unfolded value from a raw header block; undefined when absent. */
function headerOf(head: string, name: string): string | undefined {
  const match = new RegExp(`^${name}:([^\\r\\n]*(?:\\r?\\n[ \\t][^\\r\\n]*)*)`, 'im').exec(head);
  return match ? match[1]!.replace(/\r?\n[ \t]+/g, ' ').trim() : undefined;
}

function paramOf(value: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*("([^"]*)"|[^;\\s]+)`, 'i').exec(value);
  return match ? (match[2] ?? match[1]) : undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
