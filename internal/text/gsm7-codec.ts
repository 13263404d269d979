/**
 * GSM 03.38 text ⇄ septets (3GPP TS 23.038 §6.2.1), unpacked (one septet per octet, as SMPP
 * carries data_coding 0 by default and as Kannel sends it) and packed (septet-packing.ts).
 *
 * Tables are fixed (gsm7.ts), so encoding is deterministic: '$' is always 0x02 and '¤' 0x24
 * (upstream BUG-9 picked either at random). Extension characters are ESC (0x1B) + code.
 */
import { GSM7_BASIC, GSM7_BASIC_INDEX, GSM7_EXTENSION, GSM7_EXTENSION_INDEX } from './gsm7.js';
import { CR_SEPTET, endsWithSpareSeptet, packSeptets, unpackSeptets } from './septet-packing.js';
import { REPLACEMENT, TextCodecError, TextErrorReason, type OnUnknown } from './text-error.js';

export const ESC = 0x1b;
const QUESTION_SEPTET = 0x3f;

export interface Gsm7EncodeOptions {
  /** 'error' (default) throws TextCodecError; 'replace' writes '?' for each such code point. */
  onUnknown?: OnUnknown;
}

export interface Gsm7DecodeOptions {
  /**
   * 'error' (default) throws TextCodecError on an octet ≥ 0x80 (unpacked), a trailing ESC or an
   * ESC + code outside the extension table; 'replace' yields '?' for each (ESC + code → one '?').
   */
  onUnknown?: OnUnknown;
  /**
   * Read 0x24 as '$' instead of '¤'. gomsggw decoded it so (upstream §8.4), which suits ESMEs
   * that put ASCII '$' under data_coding 0. Encoding is unaffected ('$' → 0x02).
   */
  dollarAt0x24?: boolean;
}

export interface Gsm7PackedEncodeOptions extends Gsm7EncodeOptions {
  /** Fill bits before the first septet (udhFillBits(udh.length) after a UDH). Default 0. */
  fillBits?: number;
  /** Fill 7 spare trailing bits with CR instead of zeros (3GPP TS 23.038 §6.1.2.3.1). Default true. */
  padWithCr?: boolean;
}

export interface Gsm7PackedDecodeOptions extends Gsm7DecodeOptions {
  fillBits?: number;
  /**
   * Septets to read, when known (TP-UDL). Without it every whole septet is read, and a trailing
   * CR or '@' that sits exactly in 7 spare bits is dropped as padding.
   */
  septets?: number;
}

/** GSM-7 septets of `text`, one per octet (the unpacked form). */
export function encodeGsm7Unpacked(text: string, options: Gsm7EncodeOptions = {}): Buffer {
  const out: number[] = [];
  let position = 0;
  for (const ch of text) {
    const basic = GSM7_BASIC_INDEX.get(ch);
    if (basic !== undefined) out.push(basic);
    else {
      const ext = GSM7_EXTENSION_INDEX.get(ch);
      if (ext !== undefined) out.push(ESC, ext);
      else if (options.onUnknown === 'replace') out.push(QUESTION_SEPTET);
      else throw unencodable(ch, position);
    }
    position += ch.length;
  }
  return Buffer.from(out);
}

/** Text of unpacked GSM-7 (one septet per octet). */
export function decodeGsm7Unpacked(octets: Uint8Array, options: Gsm7DecodeOptions = {}): string {
  const lenient = options.onUnknown === 'replace';
  let text = '';
  for (let i = 0; i < octets.length; i++) {
    const septet = octets[i];
    if (septet === ESC) {
      const ch = i + 1 < octets.length ? GSM7_EXTENSION.get(octets[i + 1]) : undefined;
      if (ch !== undefined) text += ch;
      else if (!lenient) throw badEscape(octets, i);
      else text += REPLACEMENT;
      i++;
    } else if (septet > 0x7f) {
      if (!lenient) throw new TextCodecError(TextErrorReason.UNDECODABLE, i, `octet 0x${hex(septet)} at ${i} is not a GSM-7 septet`);
      text += REPLACEMENT;
    } else {
      text += septet === 0x24 && options.dollarAt0x24 ? '$' : GSM7_BASIC[septet];
    }
  }
  return text;
}

/** Packed GSM-7 of `text` (3GPP TS 23.038 §6.1.2.1.1), after `fillBits` fill bits. */
export function encodeGsm7Packed(text: string, options: Gsm7PackedEncodeOptions = {}): Buffer {
  return packSeptets(encodeGsm7Unpacked(text, options), options.fillBits ?? 0, options.padWithCr !== false);
}

/** Text of packed GSM-7, after `fillBits` fill bits. */
export function decodeGsm7Packed(octets: Uint8Array, options: Gsm7PackedDecodeOptions = {}): string {
  const fillBits = options.fillBits ?? 0;
  let septets = unpackSeptets(octets, fillBits, options.septets);
  if (options.septets === undefined && endsWithSpareSeptet(octets.length, fillBits)) {
    const last = septets[septets.length - 1];
    if (last === CR_SEPTET || last === 0) septets = septets.subarray(0, septets.length - 1);
  }
  return decodeGsm7Unpacked(septets, options);
}

function unencodable(ch: string, position: number): TextCodecError {
  const code = ch.codePointAt(0) ?? 0;
  return new TextCodecError(
    TextErrorReason.UNENCODABLE,
    position,
    `U+${code.toString(16).toUpperCase().padStart(4, '0')} at ${position} is not in the GSM-7 alphabet`,
  );
}

function badEscape(octets: Uint8Array, i: number): TextCodecError {
  if (i + 1 >= octets.length) return new TextCodecError(TextErrorReason.TRUNCATED, i, `GSM-7 ends with ESC at ${i}`);
  return new TextCodecError(TextErrorReason.UNDECODABLE, i, `ESC 0x${hex(octets[i + 1])} at ${i} is not in the GSM-7 extension table`);
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
