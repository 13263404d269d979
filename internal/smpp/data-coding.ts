/**
 * Inbound text: SMPP data_coding (SMPP 3.4 §5.2.19, 3GPP TS 23.038 §4) → alphabet, and
 * decodeShortMessage, which turns a submit_sm's short_message / message_payload into text.
 *
 * The 0x00–0x0F values follow gomsggw's table (upstream §8.4), including its choice to read the
 * values it did not list (2, 4, 9, 11, 12, 15) as GSM-7. Above 0x0F gomsggw read everything as
 * GSM-7; we read the GSM 03.38 coding groups instead (the "coding group" bits are what SMSCs
 * forward): general groups 0x10–0x7F by bits 3–2, message-waiting groups 0xC0–0xEF, and the
 * data coding / message class group 0xF0–0xFF by bit 2 (0 = GSM-7, 1 = 8-bit data).
 */
import {
  TextCodecError,
  TextErrorReason,
  decodeGsm7Packed,
  decodeGsm7Unpacked,
  decodeLatin1,
  decodeLegacyCharset,
  decodeUcs2,
  udhFillBits,
  type LegacyCharset,
  type OnUnknown,
  type Ucs2DecodeOptions,
} from '../text/index.js';
import { ValidationError } from '../errors/index.js';
import { EsmClass } from './types.js';
import { concatFromSar, parseUdh, type ConcatInfo, type ParsedUdh, type SarTlvs } from './udh.js';

/** How the octets of a short message are read. 'binary' = 8-bit data, shown as ISO-8859-1. */
export type Alphabet = 'gsm7' | 'ascii' | 'latin1' | 'ucs2' | LegacyCharset | 'binary';

/** The alphabet actually used; GSM-7 says whether it was packed. */
export type ShortMessageEncoding = Exclude<Alphabet, 'gsm7'> | 'gsm7' | 'gsm7-packed';

export interface DataCodingInfo {
  alphabet: Alphabet;
  /**
   * Which table gave the answer: 'smpp' (0x00–0x0F), 'gsm-general' (0x10–0x7F), 'gsm-mwi'
   * (0xC0–0xEF), 'gsm-class' (0xF0–0xFF), 'reserved' (0x80–0xBF, read as GSM-7 like gomsggw).
   */
  group: 'smpp' | 'gsm-general' | 'gsm-mwi' | 'gsm-class' | 'reserved';
  /** GSM message class 0–3 when the coding group carries one. */
  messageClass?: 0 | 1 | 2 | 3;
}

const SMPP_TABLE: readonly Alphabet[] = [
  'gsm7', // 0 SMSC default alphabet
  'ascii', // 1 IA5 (read as ISO-8859-1, as gomsggw did: a superset that never fails)
  'gsm7', // 2 octet unspecified: gomsggw read GSM-7
  'latin1', // 3 ISO-8859-1
  'gsm7', // 4 octet unspecified: gomsggw read GSM-7
  'shift_jis', // 5 JIS X 0208 (Shift-JIS in practice, and in gomsggw)
  'iso-8859-5', // 6 Cyrillic
  'iso-8859-8', // 7 Latin/Hebrew
  'ucs2', // 8 UCS-2 / UTF-16BE
  'gsm7', // 9 pictogram: gomsggw read GSM-7
  'iso-2022-jp', // 10 music codes
  'gsm7', // 11 reserved
  'gsm7', // 12 reserved
  'euc-jp', // 13 extended kanji JIS X 0212
  'euc-kr', // 14 KS C 5601
  'gsm7', // 15 reserved
];

/** What `dataCoding` (one octet) says about the alphabet. */
export function describeDataCoding(dataCoding: number): DataCodingInfo {
  const dcs = dataCoding & 0xff;
  if (dcs <= 0x0f) return { alphabet: SMPP_TABLE[dcs], group: 'smpp' };
  if (dcs <= 0x7f) {
    const alphabet: Alphabet = dcs & 0x20 ? 'binary' : (['gsm7', 'binary', 'ucs2', 'gsm7'] as const)[(dcs >> 2) & 0x03];
    return dcs & 0x10 ? { alphabet, group: 'gsm-general', messageClass: messageClass(dcs) } : { alphabet, group: 'gsm-general' };
  }
  if (dcs <= 0xbf) return { alphabet: 'gsm7', group: 'reserved' };
  if (dcs <= 0xef) return { alphabet: dcs >= 0xe0 ? 'ucs2' : 'gsm7', group: 'gsm-mwi' };
  return { alphabet: dcs & 0x04 ? 'binary' : 'gsm7', group: 'gsm-class', messageClass: messageClass(dcs) };
}

/**
 * Whether GSM-7 text is packed: 'no' (gomsggw, Kannel and most ESMEs: one septet per octet),
 * 'yes', or 'auto': packed exactly when an octet has its top bit set. Unpacked GSM-7 never does,
 * so 'auto' never misreads it; packed text without any such octet is read as unpacked.
 */
export type PackedMode = 'auto' | 'yes' | 'no';

export interface ShortMessageInput {
  dataCoding: number;
  esmClass: number;
  shortMessage: Buffer;
  /** The message_payload TLV (0x0424), read when short_message is empty. */
  messagePayload?: Buffer;
  /** SAR TLVs, used for concatenation when the UDH has no concatenation IE. */
  sar?: SarTlvs;
  /** Default 'no'. */
  packed?: PackedMode;
  /** Undecodable content: 'error' (default) throws ShortMessageError; 'replace' substitutes. */
  onUnknown?: OnUnknown;
  /** Read GSM-7 0x24 as '$' (gomsggw) rather than '¤'. Default true. */
  dollarAt0x24?: boolean;
}

export interface DecodedShortMessage {
  /**
   * The text. For UCS-2 parts of a concatenated message, a surrogate pair split at the part
   * boundary is kept as a lone surrogate so that joining the parts restores it (see joinPartTexts).
   */
  text: string;
  encoding: ShortMessageEncoding;
  dataCoding: DataCodingInfo;
  udh?: ParsedUdh;
  /** From the UDH's concatenation IE, else from SAR TLVs. */
  concat?: ConcatInfo;
  /** The octets after the UDH, as received. */
  body: Buffer;
  /** True when the text came from message_payload. */
  fromPayload: boolean;
  /** Non-fatal oddities: ignored concatenation info, both fields set, charset fallback. */
  problems: string[];
}

/** A submit_sm whose text cannot be read: a broken UDH ('udh') or undecodable octets ('text'). */
export class ShortMessageError extends ValidationError {
  override name = 'ShortMessageError';
  readonly reason: 'udh' | 'text';
  constructor(reason: 'udh' | 'text', message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** Decode a submit_sm's user data. Throws ShortMessageError; never returns partial text silently. */
export function decodeShortMessage(input: ShortMessageInput): DecodedShortMessage {
  const problems: string[] = [];
  const fromPayload = input.shortMessage.length === 0 && (input.messagePayload?.length ?? 0) > 0;
  if (!fromPayload && input.shortMessage.length > 0 && (input.messagePayload?.length ?? 0) > 0) {
    problems.push('both short_message and message_payload are set; message_payload ignored');
  }
  const userData = fromPayload ? (input.messagePayload as Buffer) : input.shortMessage;
  let body = userData;
  let udh: ParsedUdh | undefined;
  if (input.esmClass & EsmClass.UDHI) {
    const parsed = parseUdh(userData);
    if (!parsed.ok) throw new ShortMessageError('udh', parsed.error);
    ({ udh, body } = parsed);
    problems.push(...udh.problems);
  }
  const concat = pickConcat(udh, input.sar, problems);
  const dataCoding = describeDataCoding(input.dataCoding);
  try {
    const decoded = decodeBody(body, dataCoding.alphabet, input, udh?.length ?? 0, concat !== undefined);
    if (decoded.fallback) problems.push(`${dataCoding.alphabet} is not supported by this Node; read as ISO-8859-1`);
    return { text: decoded.text, encoding: decoded.encoding, dataCoding, udh, concat, body, fromPayload, problems };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    throw new ShortMessageError('text', `data_coding 0x${input.dataCoding.toString(16)}: ${err.message}`, { cause: err });
  }
}

interface BodyText {
  text: string;
  encoding: ShortMessageEncoding;
  fallback?: boolean;
}

function decodeBody(body: Buffer, alphabet: Alphabet, input: ShortMessageInput, udhLength: number, multipart: boolean): BodyText {
  const onUnknown = input.onUnknown ?? 'error';
  switch (alphabet) {
    case 'gsm7':
      return decodeGsm(body, input, udhLength);
    case 'ascii':
    case 'latin1':
      return { text: decodeLatin1(body), encoding: alphabet };
    case 'binary':
      return { text: decodeLatin1(body), encoding: 'binary' };
    case 'ucs2': {
      if (onUnknown === 'error' && body.length % 2) {
        throw new TextCodecError(TextErrorReason.TRUNCATED, body.length - 1, `UCS-2 has an odd byte count (${body.length})`);
      }
      // A part may end or start with half of a surrogate pair: keep it for the join.
      const onInvalid: Ucs2DecodeOptions['onInvalid'] = multipart ? 'keep' : onUnknown === 'replace' ? 'replace' : 'error';
      return { text: decodeUcs2(body, { onInvalid }), encoding: 'ucs2' };
    }
    default: {
      const { text, fallback } = decodeLegacyCharset(alphabet, body, { onUnknown });
      return { text, encoding: alphabet, fallback };
    }
  }
}

function decodeGsm(body: Buffer, input: ShortMessageInput, udhLength: number): BodyText {
  const options = { onUnknown: input.onUnknown ?? 'error', dollarAt0x24: input.dollarAt0x24 ?? true } as const;
  const mode = input.packed ?? 'no';
  if (mode === 'yes' || (mode === 'auto' && body.some((octet) => octet > 0x7f))) {
    return { text: decodeGsm7Packed(body, { ...options, fillBits: udhFillBits(udhLength) }), encoding: 'gsm7-packed' };
  }
  return { text: decodeGsm7Unpacked(body, options), encoding: 'gsm7' };
}

function pickConcat(udh: ParsedUdh | undefined, sar: SarTlvs | undefined, problems: string[]): ConcatInfo | undefined {
  const fromSar = sar ? concatFromSar(sar) : undefined;
  if (fromSar && !fromSar.ok) problems.push(fromSar.error);
  const sarConcat = fromSar?.ok ? fromSar.concat : undefined;
  if (udh?.concat) {
    if (sarConcat) problems.push('both a UDH concatenation IE and SAR TLVs are present; the UDH wins');
    return udh.concat;
  }
  return sarConcat;
}

function messageClass(dcs: number): 0 | 1 | 2 | 3 {
  return (dcs & 0x03) as 0 | 1 | 2 | 3;
}
