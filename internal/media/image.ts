import type { Metadata } from 'sharp';
import type sharpFunction from 'sharp';

/**
 * sharp (libvips) is loaded on the first image it handles, not at start: it adds ~18 MB to every
 * node, and most nodes of a cluster carry SMS only.
 */
type Sharp = typeof sharpFunction;
let loaded: Promise<Sharp> | undefined;
function sharpOf(): Promise<Sharp> {
  loaded ??= import('sharp').then((m) => m.default);
  return loaded;
}
import { ValidationError } from '../errors/index.js';
import { GIF_COLOURS, JPEG_QUALITIES, initialSize, nextSize } from './ladder.js';

/** A transcoded part. */
export interface Fitted {
  bytes: Buffer;
  contentType: string;
  /** The file's extension. */
  ext: string;
}

interface Size {
  width: number;
  height: number;
}

/** A first try this many times over budget will not be saved by lower qualities: shrink at once. */
const HOPELESS_FACTOR = 3;

async function metadataOf(bytes: Buffer, animated = false): Promise<Metadata> {
  try {
    const sharp = await sharpOf();
    return await sharp(bytes, { animated }).metadata();
  } catch (err) {
    throw new ValidationError('an image part could not be decoded', { cause: err });
  }
}

/** Width and height as shown, i.e. after the EXIF orientation is applied (orientations 5–8 turn it). */
function shownSize(meta: Metadata): Size {
  const w = meta.width ?? 1;
  const h = meta.pageHeight ?? meta.height ?? 1;
  return (meta.orientation ?? 1) >= 5 ? { width: h, height: w } : { width: w, height: h };
}

/**
 * The image as a JPEG of at most `budget` bytes, stepping down the quality ladder and then the
 * size; undefined when even the smallest useful size does not fit. EXIF orientation is applied
 * (upstream ignored it) and transparency is flattened onto white, since JPEG has none.
 */
export async function fitStill(bytes: Buffer, budget: number, signal: AbortSignal): Promise<Fitted | undefined> {
  const meta = await metadataOf(bytes);
  const sharp = await sharpOf();
  let size: Size | undefined = initialSize(shownSize(meta).width, shownSize(meta).height);
  // Decode, orient and bring to the starting size once; every rung re-encodes these pixels.
  const base = await sharp(bytes)
    .rotate()
    .resize(size.width, size.height, { fit: 'fill' })
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { width: base.info.width, height: base.info.height, channels: base.info.channels };
  while (size) {
    let smallest = Infinity;
    for (const quality of JPEG_QUALITIES) {
      signal.throwIfAborted();
      const out = await sharp(base.data, { raw })
        .resize(size.width, size.height, { fit: 'fill' })
        .jpeg({ quality, optimiseCoding: true, chromaSubsampling: '4:2:0' })
        .toBuffer();
      if (out.length <= budget) return { bytes: out, contentType: 'image/jpeg', ext: 'jpg' };
      smallest = out.length;
      if (out.length > budget * HOPELESS_FACTOR) break;
    }
    size = nextSize(size, smallest, budget);
  }
  return undefined;
}

/**
 * An animated GIF kept animated, re-encoded with fewer colours and then smaller frames until it
 * fits `budget`; undefined when it cannot (the caller then sends its first frame as a still).
 */
export async function fitAnimation(bytes: Buffer, budget: number, signal: AbortSignal): Promise<Fitted | undefined> {
  const meta = await metadataOf(bytes, true);
  const sharp = await sharpOf();
  let size: Size | undefined = initialSize(meta.width ?? 1, meta.pageHeight ?? meta.height ?? 1, 480);
  while (size) {
    let smallest = Infinity;
    for (const colours of GIF_COLOURS) {
      signal.throwIfAborted();
      const out = await sharp(bytes, { animated: true })
        .resize({ width: size.width })
        .gif({ colours, effort: 7, dither: 0.5, interFrameMaxError: 8 })
        .toBuffer();
      if (out.length <= budget) return { bytes: out, contentType: 'image/gif', ext: 'gif' };
      smallest = out.length;
      if (out.length > budget * HOPELESS_FACTOR) break;
    }
    size = nextSize(size, smallest, budget);
  }
  return undefined;
}

/** True when the GIF has more than one frame. */
export async function isAnimated(bytes: Buffer): Promise<boolean> {
  return ((await metadataOf(bytes, true)).pages ?? 1) > 1;
}
