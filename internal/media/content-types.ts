/**
 * Content types of MMS parts: the extension a served file gets, sniffing of parts whose sender
 * gave no useful type (upstream sniffed application/octet-stream, §14.1 step 5), and the kind
 * of transcoding a type calls for.
 */

export const OCTET_STREAM = 'application/octet-stream';

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'image/tiff': 'tif',
  'image/avif': 'avif',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'video/3gpp2': '3g2',
  'video/quicktime': 'mov',
  'video/webm': 'webm',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/ogg': 'ogg',
  'audio/3gpp': '3gp',
  'text/plain': 'txt',
  'text/vcard': 'vcf',
  'text/x-vcard': 'vcf',
  'text/calendar': 'ics',
  'application/pdf': 'pdf',
  'application/smil': 'smil',
};

/** type/subtype as RFC 6838 names them (at most 127 characters each): nothing that could break a header. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** Lowercased media type without parameters; application/octet-stream for '' and anything malformed. */
export function baseType(contentType: string): string {
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return MEDIA_TYPE.test(type) ? type : OCTET_STREAM;
}

/**
 * Types a browser may show from the gateway's own origin: pictures, sound and plain text, which
 * run no script. Anything else (text/html, image/svg+xml, XML, PDF…) a tenant could use to run
 * script on our origin, so it is served as an attachment.
 */
const INLINE_TYPES = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/bmp',
  'video/mp4',
  'video/3gpp',
  'video/3gpp2',
  'video/quicktime',
  'video/webm',
  'audio/mpeg',
  'audio/mp3',
  'audio/mp4',
  'audio/aac',
  'audio/amr',
  'audio/3gpp',
  'audio/wav',
  'audio/x-wav',
  'audio/ogg',
  'text/plain',
]);

/** True when a stored part may be shown inline (see INLINE_TYPES); else it is served as an attachment. */
export function servedInline(contentType: string): boolean {
  return INLINE_TYPES.has(baseType(contentType));
}

/** The file extension (without the dot) for a content type, or 'bin'. */
export function extensionFor(contentType: string): string {
  return EXTENSIONS[baseType(contentType)] ?? 'bin';
}

/** Extensions that name the same type as the canonical one. */
const ALIASES: Readonly<Record<string, string>> = { jpeg: 'jpg', jpe: 'jpg', tiff: 'tif', mpeg: 'mp3' };

/**
 * Longest name kept for a part (more is cut): it travels in every Content-Disposition and MM4
 * part header, where a sender's megabyte-long name would break the clients that read them.
 */
export const MAX_FILENAME_CHARS = 128;

/**
 * `filename` (path separators and control characters removed, at most MAX_FILENAME_CHARS)
 * with the extension of `contentType`: kept when it already has it, replaced when it has
 * another, added when it has none.
 */
export function filenameFor(filename: string, contentType: string): string {
  const ext = extensionFor(contentType);
  const name = shortened(
    filename
      .trim()
      .replace(/[/\\]/g, '_')
      .replace(/[\u0000-\u001f\u007f]/g, ''),
  );
  if (name === '') return `media.${ext}`;
  if (ext === 'bin') return name;
  const dot = name.lastIndexOf('.');
  const current = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (current === ext || ALIASES[current] === ext) return name;
  return `${dot > 0 ? name.slice(0, dot) : name}.${ext}`;
}

/** At most MAX_FILENAME_CHARS, the end (with the extension) kept. */
function shortened(name: string): string {
  const chars = [...name];
  if (chars.length <= MAX_FILENAME_CHARS) return name;
  const dot = name.lastIndexOf('.');
  const tail = dot > 0 && name.length - dot <= 10 ? [...name.slice(dot)] : [];
  return [...chars.slice(0, MAX_FILENAME_CHARS - tail.length), ...tail].join('');
}

const startsWith = (bytes: Buffer, sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
const ascii = (bytes: Buffer, at: number, len: number) => bytes.subarray(at, at + len).toString('latin1');

/** ISO base media brands (ftyp) → type. */
function isoBrand(brand: string): string {
  if (brand.startsWith('3g2')) return 'video/3gpp2';
  if (brand.startsWith('3g')) return 'video/3gpp';
  if (brand === 'qt  ') return 'video/quicktime';
  if (brand === 'M4A ') return 'audio/mp4';
  if (brand === 'heic' || brand === 'heix' || brand === 'mif1') return 'image/heic';
  if (brand === 'avif') return 'image/avif';
  return 'video/mp4';
}

/** The content type the bytes announce by their magic number, or undefined. */
export function sniffContentType(bytes: Buffer): string | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return 'image/png';
  if (ascii(bytes, 0, 4) === 'GIF8') return 'image/gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'image/webp';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE') return 'audio/wav';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'AVI ') return 'video/x-msvideo';
  if (ascii(bytes, 0, 2) === 'BM') return 'image/bmp';
  if (ascii(bytes, 4, 4) === 'ftyp') return isoBrand(ascii(bytes, 8, 4));
  // Old QuickTime files open with their movie or data atom, without ftyp.
  if (['moov', 'mdat', 'wide'].includes(ascii(bytes, 4, 4))) return 'video/quicktime';
  if (ascii(bytes, 0, 3) === 'ID3' || [0xfb, 0xfa, 0xf3, 0xf2].some((b) => startsWith(bytes, [0xff, b]))) return 'audio/mpeg';
  // ADTS, the stream form of AAC (MPEG-4 and MPEG-2 sync words, no CRC).
  if (startsWith(bytes, [0xff, 0xf1]) || startsWith(bytes, [0xff, 0xf9])) return 'audio/aac';
  if (ascii(bytes, 0, 4) === 'OggS') return 'audio/ogg';
  if (ascii(bytes, 0, 5) === '#!AMR') return 'audio/amr';
  if (ascii(bytes, 0, 4) === '%PDF') return 'application/pdf';
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return 'video/webm';
  return undefined;
}

/** The given type, unless it is missing or generic and the bytes say better. */
export function effectiveContentType(given: string, bytes: Buffer): string {
  const type = baseType(given);
  if (type !== OCTET_STREAM && type !== 'binary/octet-stream') return type;
  return sniffContentType(bytes) ?? OCTET_STREAM;
}

export type MediaKind = 'image' | 'gif' | 'video' | 'audio' | 'smil' | 'other';

/** How a part is made smaller: sharp for stills, frames kept for GIF, ffmpeg for video and audio. */
export function mediaKind(contentType: string): MediaKind {
  const type = baseType(contentType);
  if (type === 'image/gif') return 'gif';
  if (type === 'application/smil') return 'smil';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'other';
}
