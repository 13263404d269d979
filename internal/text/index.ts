/** The text room: SMS alphabets and segment maths, pure functions shared by every entry point. */
export {
  segmentInfo,
  gsm7Length,
  chooseEncoding,
  DEFAULT_MAX_TEXT_CHARS,
  GSM7_SINGLE,
  GSM7_PART,
  UCS2_SINGLE,
  UCS2_PART,
} from './segments.js';
export type { SmsEncoding, SegmentInfo } from './segments.js';
export { GSM7_BASIC, GSM7_EXTENSION, GSM7_BASIC_INDEX, GSM7_EXTENSION_INDEX } from './gsm7.js';
export type { Gsm7EncodeOptions, Gsm7DecodeOptions, Gsm7PackedEncodeOptions, Gsm7PackedDecodeOptions } from './gsm7-codec.js';
export { ESC, encodeGsm7Unpacked, decodeGsm7Unpacked, encodeGsm7Packed, decodeGsm7Packed } from './gsm7-codec.js';
export { CR_SEPTET, udhFillBits, packedLength, septetCapacity, packSeptets, unpackSeptets, endsWithSpareSeptet } from './septet-packing.js';
export type { Ucs2DecodeOptions } from './ucs2.js';
export {
  REPLACEMENT_CHARACTER,
  encodeUcs2,
  decodeUcs2,
  wellFormed,
  loneSurrogateAt,
  isHighSurrogate,
  isLowSurrogate,
  ucs2CutAt,
} from './ucs2.js';
export type { LegacyCharset, CharsetDecodeOptions, LegacyDecodeResult } from './charsets.js';
export {
  LEGACY_CHARSETS,
  decodeLatin1,
  encodeLatin1,
  decodeAscii,
  encodeAscii,
  decodeLegacyCharset,
  legacyCharsetSupported,
} from './charsets.js';
export type { OnUnknown } from './text-error.js';
export { TextCodecError, TextErrorReason, REPLACEMENT } from './text-error.js';
export { TextFault, cleanText, textFault, describeTextFault, hasControlCharacter } from './clean-text.js';
