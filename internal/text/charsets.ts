/**
 * The single- and multi-byte character sets SMPP data_coding can name besides GSM-7 and UCS-2
 * (SMPP 3.4 §5.2.19; upstream §8.4): IA5/ASCII, ISO-8859-1, and the legacy sets that Node's
 * WHATWG TextDecoder reads (decode only: TextEncoder writes UTF-8 alone).
 *
 * Node 20 release builds ship full ICU, so every label below is supported (checked on v20.20.2).
 * A build without it (small-icu) throws RangeError for them; decodeLegacyCharset then falls back
 * to ISO-8859-1, which keeps every byte as one character and never fails, and says so with
 * `fallback: true`. (gomsggw used Go's x/text charmaps, which always exist.)
 */
import { TextDecoder } from 'node:util';
import { REPLACEMENT, TextCodecError, TextErrorReason, type OnUnknown } from './text-error.js';

/** TextDecoder labels for the legacy SMPP codings (data_coding 5, 6, 7, 10, 13, 14). */
export const LEGACY_CHARSETS = ['shift_jis', 'iso-8859-5', 'iso-8859-8', 'iso-2022-jp', 'euc-jp', 'euc-kr'] as const;
export type LegacyCharset = (typeof LEGACY_CHARSETS)[number];

export interface CharsetDecodeOptions {
  /** 'error' (default) throws TextCodecError; 'replace' yields U+FFFD (legacy sets) or '?' (ASCII). */
  onUnknown?: OnUnknown;
}

export interface LegacyDecodeResult {
  text: string;
  /** True when this Node lacks the decoder and the bytes were read as ISO-8859-1 instead. */
  fallback: boolean;
}

/**
 * ISO-8859-1: byte n is U+00nn. Never fails. Not TextDecoder('latin1'), which WHATWG maps to
 * windows-1252 (0x80 → '€').
 */
export function decodeLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** ISO-8859-1 bytes of `text`; code points above U+00FF are an error or '?'. */
export function encodeLatin1(text: string, options: CharsetDecodeOptions = {}): Buffer {
  return encodeSingleByte(text, 0xff, 'ISO-8859-1', options.onUnknown);
}

/** IA5 / US-ASCII (7-bit): bytes ≥ 0x80 are an error or '?'. */
export function decodeAscii(bytes: Uint8Array, options: CharsetDecodeOptions = {}): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte < 0x80) text += String.fromCharCode(byte);
    else if (options.onUnknown === 'replace') text += REPLACEMENT;
    else throw new TextCodecError(TextErrorReason.UNDECODABLE, i, `byte 0x${byte.toString(16)} at ${i} is not IA5/ASCII`);
  }
  return text;
}

/** IA5 / US-ASCII bytes of `text`; code points above U+007F are an error or '?'. */
export function encodeAscii(text: string, options: CharsetDecodeOptions = {}): Buffer {
  return encodeSingleByte(text, 0x7f, 'IA5/ASCII', options.onUnknown);
}

/** Whether this Node's TextDecoder knows `charset`. */
export function legacyCharsetSupported(charset: LegacyCharset): boolean {
  try {
    new TextDecoder(charset);
    return true;
  } catch {
    return false;
  }
}

/** Text of bytes in a legacy character set (see the module note for the fallback). */
export function decodeLegacyCharset(charset: LegacyCharset, bytes: Uint8Array, options: CharsetDecodeOptions = {}): LegacyDecodeResult {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: options.onUnknown !== 'replace' });
  } catch (err) {
    if (err instanceof RangeError) return { text: decodeLatin1(bytes), fallback: true };
    throw err;
  }
  try {
    return { text: decoder.decode(bytes), fallback: false };
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    throw new TextCodecError(TextErrorReason.UNDECODABLE, 0, `bytes are not valid ${charset}`);
  }
}

function encodeSingleByte(text: string, max: number, label: string, onUnknown: OnUnknown = 'error'): Buffer {
  const out: number[] = [];
  let position = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code <= max) out.push(code);
    else if (onUnknown === 'replace') out.push(REPLACEMENT.charCodeAt(0));
    else
      throw new TextCodecError(
        TextErrorReason.UNENCODABLE,
        position,
        `U+${code.toString(16).toUpperCase()} at ${position} is not in ${label}`,
      );
    position += ch.length;
  }
  return Buffer.from(out);
}
