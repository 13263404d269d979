import { PayloadTooLargeError } from '../errors/index.js';
import { baseType, filenameFor, mediaKind } from './content-types.js';
import { fitAnimation, fitStill, isAnimated, type Fitted } from './image.js';
import { fitAudio, fitVideo } from './av.js';

/** Types carriers accept as they are (the common ground of Twilio's and Telnyx's lists). */
const CARRIER_TYPES = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'video/mp4',
  'video/3gpp',
  'audio/mp4',
  'audio/mpeg',
  'audio/aac',
  'audio/amr',
  'text/vcard',
  'text/x-vcard',
  'text/plain',
  'text/calendar',
  'application/pdf',
]);

export interface PartInput {
  bytes: Buffer;
  contentType: string;
  filename: string;
}

export interface PartResult extends PartInput {
  /** False when the part went out as it came. */
  transcoded: boolean;
}

export interface FitContext {
  /** The job's time limit and the worker's stop, together. */
  signal: AbortSignal;
  /** TRANSCODE_TEMP_PATH: ffmpeg works on files there. */
  tempDir: string;
}

async function fitByKind(part: PartInput, budget: number, ctx: FitContext): Promise<Fitted | undefined> {
  switch (mediaKind(part.contentType)) {
    case 'image':
      return fitStill(part.bytes, budget, ctx.signal);
    case 'gif':
      // Kept animated where it fits (upstream refused animations over 600 KB); else its first frame.
      if (await isAnimated(part.bytes))
        return (await fitAnimation(part.bytes, budget, ctx.signal)) ?? fitStill(part.bytes, budget, ctx.signal);
      return fitStill(part.bytes, budget, ctx.signal);
    case 'video':
      return fitVideo(part.bytes, budget, ctx.signal, ctx.tempDir);
    case 'audio':
      return fitAudio(part.bytes, budget, ctx.signal, ctx.tempDir);
    default:
      return undefined;
  }
}

/** True when the part can go to a carrier as it is within `budget` bytes. */
export function fitsAsIs(part: Pick<PartInput, 'contentType'> & { sizeBytes: number }, budget: number): boolean {
  return part.sizeBytes <= budget && CARRIER_TYPES.has(baseType(part.contentType));
}

/** True when a part of this type can be made smaller (images, video, audio). */
export function shrinkable(contentType: string): boolean {
  return ['image', 'gif', 'video', 'audio'].includes(mediaKind(contentType));
}

/**
 * The part within `budget` bytes, in a type carriers accept: unchanged when it already is,
 * else transcoded (images with sharp, video and audio with ffmpeg). Throws
 * PayloadTooLargeError when it cannot be made to fit, ValidationError when it cannot be read.
 */
export async function fitPart(part: PartInput, budget: number, ctx: FitContext): Promise<PartResult> {
  if (fitsAsIs({ contentType: part.contentType, sizeBytes: part.bytes.length }, budget)) return { ...part, transcoded: false };
  const fitted = await fitByKind(part, budget, ctx);
  if (!fitted) {
    throw new PayloadTooLargeError(
      `the media part ${part.filename || '(unnamed)'} (${baseType(part.contentType)}, ` +
        `${part.bytes.length} bytes) cannot be made smaller than ${budget} bytes, the room it has in this MMS`,
    );
  }
  return {
    bytes: fitted.bytes,
    contentType: fitted.contentType,
    filename: filenameFor(part.filename, fitted.contentType),
    transcoded: true,
  };
}
