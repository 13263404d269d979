/**
 * Media items of a send request → MediaRefs for the bus. Bytes never travel on the bus: a URL
 * item becomes a reference that the media pipeline fetches later (upstream fetched it during
 * the request, §5.9 step 6). Inline base64 needs the media store and is refused until then.
 */
import type { MediaRef } from '../../proto/message.js';
import { ValidationError } from '../errors/index.js';
import type { MediaInput } from './formats.js';
import { isHttpUrl } from './validation.js';

/** Twilio and Telnyx both take at most 10 media parts per message. */
export const MAX_MEDIA_ITEMS = 10;
/** The content type of a part whose type is neither given nor guessable (upstream's default). */
export const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

export const INLINE_MEDIA_UNSUPPORTED = 'inline media (base64 content) is not supported yet; give a url';

/** File extensions MMS parts commonly carry → content type. */
const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp',
  bmp: 'image/bmp', heic: 'image/heic', heif: 'image/heif', tif: 'image/tiff', tiff: 'image/tiff',
  mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime', '3gp': 'video/3gpp', '3g2': 'video/3gpp2',
  webm: 'video/webm', mp3: 'audio/mpeg', m4a: 'audio/mp4', aac: 'audio/aac', amr: 'audio/amr',
  wav: 'audio/wav', ogg: 'audio/ogg', oga: 'audio/ogg', opus: 'audio/opus',
  vcf: 'text/vcard', vcard: 'text/vcard', ics: 'text/calendar', txt: 'text/plain', pdf: 'application/pdf',
  smil: 'application/smil', smi: 'application/smil',
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

function toRef(item: MediaInput): MediaRef {
  const url = item.url.trim();
  if (!isHttpUrl(url)) throw new ValidationError(`Invalid media URL "${url}": use an http:// or https:// URL`);
  const filename = item.filename.trim() || filenameOf(url);
  const contentType = item.contentType.trim().toLowerCase()
    || guessContentType(filename) || guessContentType(filenameOf(url)) || DEFAULT_MEDIA_TYPE;
  return { url, contentType, filename };
}

/**
 * Media references of a request: each item with a `url` becomes one; items with neither url
 * nor content are skipped as upstream did; inline content is a 400 for now.
 */
export function mediaRefs(items: MediaInput[]): MediaRef[] {
  const given = items.filter((item) => item.url.trim() !== '' || item.content !== '');
  if (given.some((item) => item.url.trim() === '')) throw new ValidationError(INLINE_MEDIA_UNSUPPORTED);
  if (given.length > MAX_MEDIA_ITEMS) {
    throw new ValidationError(`Too many media items (${given.length}): at most ${MAX_MEDIA_ITEMS} per message`);
  }
  return given.map(toRef);
}
