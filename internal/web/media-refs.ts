/**
 * Media items of a send request → MediaRefs for the bus. Bytes never travel on the bus: inline
 * media (generic `content` base64, or a `data:` URL in any format's URL field) are stored in
 * the media store during the request and travel as tokens; a URL item becomes a reference
 * that the media worker fetches later (upstream fetched it during the request, §5.9 step 6).
 */
import type { MediaRef } from '../../proto/message.js';
import { PayloadTooLargeError, ValidationError } from '../errors/index.js';
import type { MediaInput } from './formats.js';
import type { MediaSink } from './types.js';
import { isHttpUrl } from './validation.js';

/** Twilio and Telnyx both take at most 10 media parts per message. */
export const MAX_MEDIA_ITEMS = 10;
/** The content type of a part whose type is neither given nor guessable (upstream's default). */
export const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

export const INLINE_MEDIA_UNSUPPORTED = 'inline media (base64 content) is not accepted by this node; give a url';
export const INVALID_BASE64 = 'Invalid base64 content in media';

/** File extensions MMS parts commonly carry → content type. */
const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  heic: 'image/heic',
  heif: 'image/heif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  '3gp': 'video/3gpp',
  '3g2': 'video/3gpp2',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  amr: 'audio/amr',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/opus',
  vcf: 'text/vcard',
  vcard: 'text/vcard',
  ics: 'text/calendar',
  txt: 'text/plain',
  pdf: 'application/pdf',
  smil: 'application/smil',
  smi: 'application/smil',
};

/** The last segment of the URL's path, decoded ('' when the path ends in '/'). */
export function filenameOf(url: string): string {
  const path = new URL(url).pathname;
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** The content type suggested by a file name's extension, or undefined. */
export function guessContentType(filename: string): string | undefined {
  const dot = filename.lastIndexOf('.');
  if (dot < 0) return undefined;
  return TYPES_BY_EXTENSION[filename.slice(dot + 1).toLowerCase()];
}

function urlRef(item: MediaInput): MediaRef {
  const url = item.url.trim();
  if (!isHttpUrl(url)) throw new ValidationError(`Invalid media URL "${url}": use an http:// or https:// URL`);
  const filename = item.filename.trim() || filenameOf(url);
  const contentType =
    item.contentType.trim().toLowerCase() || guessContentType(filename) || guessContentType(filenameOf(url)) || DEFAULT_MEDIA_TYPE;
  return { url, contentType, filename };
}

/**
 * Padded standard base64 (with the length a multiple of 4); line breaks and spaces
 * (MIME-wrapped input) are ignored. A flat character class: a grouped repetition over a
 * multi-megabyte string overflows V8's regexp stack.
 */
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
/** RFC 2397: data:[<type>][;params];base64,<data> (only base64 data URLs carry binary media). */
const DATA_URL = /^data:([^,;]*)((?:;[^,;]*)*?);base64,(.*)$/is;

/** Buffer.from(s, 'base64') skips bad characters silently; upstream's Go decoder refused them. */
export function decodeBase64(content: string): Buffer {
  const compact = content.replace(/\s+/g, '');
  if (compact === '' || compact.length % 4 !== 0 || !BASE64_CHARS.test(compact)) throw new ValidationError(INVALID_BASE64);
  return Buffer.from(compact, 'base64');
}

/** An item whose bytes came with the request: its bytes and declared type, or undefined. */
function inlineOf(item: MediaInput): { bytes: Buffer; contentType: string } | undefined {
  const data = DATA_URL.exec(item.url.trim());
  if (data) return { bytes: decodeBase64(data[3]!), contentType: item.contentType.trim() || data[1]!.trim() };
  if (item.url.trim() === '' && item.content !== '') return { bytes: decodeBase64(item.content), contentType: item.contentType.trim() };
  return undefined;
}

type Inline = NonNullable<ReturnType<typeof inlineOf>>;

async function storeInline(item: MediaInput, inline: Inline, sink: MediaSink): Promise<MediaRef> {
  const filename = item.filename.trim();
  const contentType = inline.contentType.toLowerCase() || guessContentType(filename) || DEFAULT_MEDIA_TYPE;
  const stored = await sink.put({ bytes: inline.bytes, contentType, filename });
  return { url: stored.url, token: stored.token, contentType: stored.contentType, filename: stored.filename, sizeBytes: stored.sizeBytes };
}

/**
 * Media references of a request: inline items are stored (a 413 past MEDIA_MAX_BYTES, a 400
 * for bad base64), URL items become references; items with neither are skipped as upstream
 * did. Every item is decoded and checked (its size too) before any is stored, so a bad one
 * stores nothing.
 */
export async function mediaRefs(items: MediaInput[], sink?: MediaSink): Promise<MediaRef[]> {
  const given = items.filter((item) => item.url.trim() !== '' || item.content !== '');
  if (given.length > MAX_MEDIA_ITEMS) {
    throw new ValidationError(`Too many media items (${given.length}): at most ${MAX_MEDIA_ITEMS} per message`);
  }
  const parts = given.map((item) => ({ item, inline: inlineOf(item), ref: undefined as MediaRef | undefined }));
  for (const part of parts) if (!part.inline) part.ref = urlRef(part.item);
  if (parts.some((part) => part.inline) && !sink) throw new ValidationError(INLINE_MEDIA_UNSUPPORTED);
  const big = parts.find((part) => part.inline && part.inline.bytes.length > sink!.maxBytes);
  if (big) {
    throw new PayloadTooLargeError(
      `media ${big.item.filename.trim() || 'part'} is ${big.inline!.bytes.length} bytes; at most ${sink!.maxBytes} bytes are accepted`,
    );
  }
  const refs: MediaRef[] = [];
  for (const part of parts) refs.push(part.ref ?? (await storeInline(part.item, part.inline!, sink!)));
  return refs;
}
