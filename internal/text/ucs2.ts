/**
 * UCS-2 as SMS carries it today: UTF-16 big-endian (3GPP TS 23.038 §6.2.3 says UCS2; every
 * handset and SMSC accepts surrogate pairs, so emoji travel as two 16-bit units).
 *
 * A pair may arrive split across two parts of a concatenated message (senders that cut at a
 * fixed unit count). JavaScript strings are UTF-16 too, so a lone surrogate can be kept in a
 * part's text ('keep') and becomes a proper pair when the parts are joined; `wellFormed` then
 * replaces whatever is still unpaired.
 */
import { TextCodecError, TextErrorReason } from './text-error.js';

export const REPLACEMENT_CHARACTER = '\uFFFD';

export interface Ucs2DecodeOptions {
  /**
   * Lone surrogates and an odd trailing byte:
   * 'error' (default) throws TextCodecError; 'replace' yields U+FFFD; 'keep' keeps lone
   * surrogates as they are (for a part of a concatenated message) and replaces an odd byte.
   */
  onInvalid?: 'error' | 'replace' | 'keep';
}

export function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

export function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** UTF-16BE bytes of `text`: two per code unit, four per astral character. Never fails. */
export function encodeUcs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

/** Text of UTF-16BE bytes. */
export function decodeUcs2(bytes: Uint8Array, options: Ucs2DecodeOptions = {}): string {
  const mode = options.onInvalid ?? 'error';
  const even = bytes.length - (bytes.length % 2);
  if (even !== bytes.length && mode === 'error') {
    throw new TextCodecError(TextErrorReason.TRUNCATED, even, `UCS-2 has an odd byte count (${bytes.length})`);
  }
  const text = Buffer.from(bytes.subarray(0, even)).swap16().toString('utf16le');
  const tail = even !== bytes.length ? REPLACEMENT_CHARACTER : '';
  if (mode === 'keep') return text + tail;
  if (mode === 'replace') return wellFormed(text) + tail;
  const lone = loneSurrogateAt(text);
  if (lone >= 0) {
    throw new TextCodecError(TextErrorReason.UNDECODABLE, lone * 2, `UCS-2 has a lone surrogate at byte ${lone * 2}`);
  }
  return text;
}

/** Index of the first unpaired surrogate code unit in `text`, or -1. */
export function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (isHighSurrogate(unit)) {
      if (i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) i++;
      else return i;
    } else if (isLowSurrogate(unit)) {
      return i;
    }
  }
  return -1;
}

/** `text` with every unpaired surrogate replaced by U+FFFD (String.prototype.toWellFormed). */
export function wellFormed(text: string): string {
  if (loneSurrogateAt(text) < 0) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (isHighSurrogate(unit) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      out += text[i] + text[i + 1];
      i++;
    } else {
      out += isHighSurrogate(unit) || isLowSurrogate(unit) ? REPLACEMENT_CHARACTER : text[i];
    }
  }
  return out;
}

/**
 * Where to cut `text` into a part of at most `maxUnits` UTF-16 units starting at `start`,
 * moving the cut back one unit rather than splitting a surrogate pair. Returns the end index.
 */
export function ucs2CutAt(text: string, start: number, maxUnits: number): number {
  const end = Math.min(text.length, start + maxUnits);
  if (end < text.length && end - 1 > start && isHighSurrogate(text.charCodeAt(end - 1)) && isLowSurrogate(text.charCodeAt(end))) {
    return end - 1;
  }
  return end;
}
