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
  const parsed = await decode(raw);
  const parts: Mm4Part[] = [];
  const texts = parsed.text ? [parsed.text] : [];
  for (const attachment of parsed.attachments) {
    const type = attachment.contentType.toLowerCase();
    if (type === 'application/smil') continue;
    if (type === 'text/plain') texts.push(attachment.content.toString('utf8'));
    else parts.push({ contentType: type, filename: filenameOf(attachment), bytes: attachment.content });
  }
  // The peer cannot fix its text: cleaned (cleanText) rather than refused.
  return {
    headers,
    text: cleanText(
      texts
        .map((t) => t.trim())
        .filter(Boolean)
        .join('\n'),
    ),
    parts,
  };
}

/**
 * mailparser's reading of the mail. What it refuses (past its own bounds on parts and header
 * size, or undecodable) is the peer's malformed mail, a final 554, not our fault to retry.
 */
async function decode(raw: Buffer): ReturnType<typeof simpleParser> {
  try {
    return await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
  } catch (err) {
    const bound = (err as { code?: unknown }).code === 'EMAXLEN' ? `: ${(err as Error).message.toLowerCase()}` : '';
    throw new ValidationError(`malformed MIME: the mail could not be decoded${bound}`, { cause: err });
  }
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

/** MMS nest multipart/related in multipart/mixed at most; deeper is refused, not followed. */
const MAX_MIME_DEPTH = 8;

/** Raw structure checks, on the text as latin1 (one char per byte). */
export function checkMime(text: string): void {
  const split = HEADER_END.exec(text);
  const head = split ? text.slice(0, split.index) : text;
  const body = split ? text.slice(split.index + split[0].length) : '';
  checkEntity(head, body, 'the message body', '', 0);
}

/** One entity: its encoding, or, for a multipart, each of its parts (`prefix` numbers nested ones: part 1.2). */
function checkEntity(head: string, body: string, what: string, prefix: string, depth: number): void {
  // No Content-Type means text/plain (RFC 2045 §5.2); gomsggw refused it, swaks sends it so.
  const contentType = headerOf(head, 'content-type') ?? 'text/plain';
  if (!/^\s*multipart\//i.test(contentType)) {
    checkEncoding(head, body, what);
    return;
  }
  if (depth >= MAX_MIME_DEPTH) throw new ValidationError(`malformed MIME: multipart nested more than ${MAX_MIME_DEPTH} deep`);
  const boundary = paramOf(contentType, 'boundary');
  if (!boundary) throw new ValidationError('malformed MIME: multipart Content-Type without a boundary');
  // A delimiter is the whole line (RFC 2046 §5.1.1): an inner boundary that starts like this one is not it.
  const pieces = body.split(new RegExp(`^--${escapeRegExp(boundary)}(?=--|[ \t]*\r?$)`, 'm'));
  const closing = pieces.findIndex((p) => p.startsWith('--'));
  if (pieces.length < 2 || closing < 0) throw new ValidationError('malformed MIME: the multipart body does not end with its boundary');
  pieces.slice(1, closing).forEach((piece, i) => {
    const name = `${prefix}${i + 1}`;
    const part = piece.replace(/^[ \t]*\r?\n/, '');
    const end = HEADER_END.exec(part);
    if (!end) throw new ValidationError(`malformed MIME: part ${name} has no header/body separator`);
    checkEntity(part.slice(0, end.index), part.slice(end.index + end[0].length), `part ${name}`, `${name}.`, depth + 1);
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
