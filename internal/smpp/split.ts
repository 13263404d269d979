/**
 * Outbound splitting for deliver_sm (upstream §8.6, BUG-9): the text becomes one or more parts,
 * each ready for the PDU. The method is a per-client choice:
 *
 * - 'udh':     concatenation UDH `05 00 03 ref total seq` (or `06 08 04 refHi refLo total seq`
 *              with refBits 16) and esm_class 0x40, as Kannel and handsets expect;
 * - 'sar':     no UDH; sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs;
 * - 'payload': one deliver_sm, empty short_message, the whole text in message_payload;
 * - 'none':    gomsggw's independent parts (no UDH, no TLVs), kept for Zultys.
 *
 * A text that fits one SMS (160 septets / 70 UTF-16 units) is always one plain part. Longer
 * texts go 153 septets / 67 units per part (152 / 66 with a 16-bit reference); a cut never
 * separates an ESC from its extension code, nor the two halves of a surrogate pair. GSM-7 goes
 * unpacked (one septet per octet, data_coding 0) unless `packed` is set.
 */
import {
  CR_SEPTET,
  ESC,
  GSM7_PART,
  GSM7_SINGLE,
  UCS2_PART,
  UCS2_SINGLE,
  chooseEncoding,
  encodeGsm7Unpacked,
  encodeUcs2,
  cleanText,
  packSeptets,
  packedLength,
  ucs2CutAt,
  udhFillBits,
  type OnUnknown,
  type SmsEncoding,
} from '../text/index.js';
import { ValidationError } from '../errors/index.js';
import { DataCoding, EsmClass, type SmppPart } from './types.js';
import { concatUdh, sarTlvs, type ConcatInfo } from './udh.js';

export type SplitMethod = 'udh' | 'sar' | 'payload' | 'none';

/** Parts a concatenated message can have (the total is one octet). */
export const MAX_PARTS = 255;

export interface SplitOptions {
  /** Default: chooseEncoding(text). */
  encoding?: SmsEncoding;
  /** Concatenation reference (per destination), masked to refBits. */
  ref: number;
  method: SplitMethod;
  /** Reference width for 'udh'. Default 8 (what Kannel sends). 'sar' is always 16. */
  refBits?: 8 | 16;
  /** Pack GSM-7 septets (3GPP TS 23.038 §6.1.2.1.1) instead of one per octet. Default false. */
  packed?: boolean;
  /** A character outside GSM-7 when encoding 'gsm7' is forced: 'error' (default) or '?'. */
  onUnknown?: OnUnknown;
}

/** Split `text` into deliver_sm parts. Throws ValidationError past 255 parts or for unencodable text. */
export function splitForSmpp(text: string, options: SplitOptions): SmppPart[] {
  if (!Number.isInteger(options.ref) || options.ref < 0) throw new RangeError(`reference ${options.ref} is not a non-negative integer`);
  const refBits = options.method === 'udh' ? (options.refBits ?? 8) : 16;
  const perPartLoss = options.method === 'udh' && refBits === 16 ? 1 : 0;
  const gsm = (options.encoding ?? chooseEncoding(text)) === 'gsm7';
  const dataCoding = gsm ? DataCoding.SMSC_DEFAULT : DataCoding.UCS2;
  const pack = (septets: Buffer, fillBits = 0): Buffer => (gsm && options.packed ? packSeptets(septets, fillBits, true) : septets);
  const septets = gsm ? encodeGsm7Unpacked(text, { onUnknown: options.onUnknown }) : undefined;
  if (septets ? septets.length <= GSM7_SINGLE : text.length <= UCS2_SINGLE) {
    return [{ shortMessage: septets ? pack(septets) : encodeUcs2(text), esmClass: EsmClass.DEFAULT, dataCoding }];
  }
  if (options.method === 'payload') {
    const payload = septets ? pack(septets) : encodeUcs2(text);
    return [{ shortMessage: Buffer.alloc(0), esmClass: EsmClass.DEFAULT, dataCoding, tlvs: { message_payload: payload } }];
  }
  const fillBits = options.method === 'udh' ? udhFillBits(refBits === 8 ? 6 : 7) : 0;
  const chunks = septets
    ? chunkSeptets(septets, GSM7_PART - perPartLoss, options.packed ? fillBits : undefined)
    : chunkUnits(text, UCS2_PART - perPartLoss).map(encodeUcs2);
  if (chunks.length > MAX_PARTS) throw new ValidationError(`text needs ${chunks.length} parts; at most ${MAX_PARTS} fit`);
  const ref = options.ref & (refBits === 8 ? 0xff : 0xffff);
  return chunks.map((chunk, i) => {
    const concat: ConcatInfo = { ref, total: chunks.length, seq: i + 1, refBits };
    if (options.method === 'none') return { shortMessage: pack(chunk), esmClass: EsmClass.DEFAULT, dataCoding };
    if (options.method === 'sar') return { shortMessage: pack(chunk), esmClass: EsmClass.DEFAULT, dataCoding, tlvs: sarTlvs(concat) };
    const udh = concatUdh(concat);
    return { shortMessage: Buffer.concat([udh, pack(chunk, udhFillBits(udh.length))]), esmClass: EsmClass.UDHI, dataCoding };
  });
}

/**
 * The text of a concatenated message from its parts' texts in order, cleaned as a whole
 * (cleanText): a pair split across parts is whole again, what is still unpaired becomes U+FFFD,
 * and U+0000 is removed.
 */
export function joinPartTexts(texts: readonly string[]): string {
  return cleanText(texts.join(''));
}

/**
 * Cut unpacked septets into runs of at most `size`, never between ESC and its code (the encoder
 * writes ESC only as an introducer: no extension code is 0x1B). When the parts will be packed
 * after `packedFill` fill bits, a part also does not end in '@' or CR exactly on a septet
 * boundary, where a reader without a septet count takes it for padding (decodeGsm7Packed).
 */
function chunkSeptets(septets: Buffer, size: number, packedFill?: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < septets.length;) {
    let end = Math.min(septets.length, start + size);
    if (end < septets.length && septets[end - 1] === ESC) end--;
    if (end < septets.length && packedFill !== undefined && looksLikePadding(septets, start, end, packedFill)) {
      end--;
    }
    chunks.push(septets.subarray(start, end));
    start = end;
  }
  return chunks;
}

/** Whether septets[start, end), packed, would end exactly on an octet boundary with '@' or CR. */
function looksLikePadding(septets: Buffer, start: number, end: number, fillBits: number): boolean {
  const last = septets[end - 1];
  const spareBits = packedLength(end - start, fillBits) * 8 - fillBits - (end - start) * 7;
  return (last === 0 || last === CR_SEPTET) && spareBits === 0;
}

/** Cut a UCS-2 text into runs of at most `size` UTF-16 units, never inside a surrogate pair. */
function chunkUnits(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let start = 0; start < text.length;) {
    const end = ucs2CutAt(text, start, size);
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}
