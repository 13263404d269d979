import type { MediaRef } from '../../proto/message.js';
import type { MediaStore } from '../media/index.js';

/** base64 of a message's parts by their index in `message.media`; a part not in it goes as its URL only. */
export type InlineMedia = ReadonlyMap<number, string>;

/**
 * Reads a message's stored parts for a generic webhook, which gomsggw's receivers take as
 * `media[].base64`. Parts are taken in order while their bytes fit what is left of `maxBytes`;
 * a part that does not fit, or is gone from the store, is left out. The store tests a file's
 * size before reading it, so no more than `maxBytes` of one message is ever held.
 */
export async function inlineMedia(parts: MediaRef[], media: Pick<MediaStore, 'get'>, maxBytes: number): Promise<InlineMedia> {
  const inline = new Map<number, string>();
  let left = maxBytes;
  for (const [i, part] of parts.entries()) {
    if (left <= 0) break;
    if (!part.token || (part.sizeBytes ?? 0) > left) continue;
    const file = await media.get(part.token, { maxBytes: left });
    if (!file) continue;
    inline.set(i, file.bytes.toString('base64'));
    left -= file.bytes.length;
  }
  return inline;
}
