/**
 * User Data Header (3GPP TS 23.040 §9.2.3.24) and the SAR TLVs (SMPP 3.4 §5.3.2.22–24): both
 * ways of saying "part `seq` of `total` of message `ref`", read into one ConcatInfo.
 *
 * Concatenation IEs: 0x00 (8-bit reference, 3 data octets) and 0x08 (16-bit reference, 4 data
 * octets). Every other IE is kept as it came (ports, national language shifts, …) so a header
 * can be rebuilt. Malformed input is reported through return values, never thrown.
 */
import type { SmppTlvs } from './types.js';

export const IEI_CONCAT_8 = 0x00;
export const IEI_CONCAT_16 = 0x08;

export interface InformationElement {
  iei: number;
  data: Buffer;
}

export interface ConcatInfo {
  /** Reference shared by every part of one message: 0–255 (refBits 8) or 0–65535 (16). */
  ref: number;
  /** Parts in the set, 1–255. */
  total: number;
  /** This part's number, 1..total. */
  seq: number;
  /** 8 for IEI 0x00, 16 for IEI 0x08 and for SAR TLVs. */
  refBits: 8 | 16;
}

export interface ParsedUdh {
  /** Octets the header takes, the UDHL octet included (so the text starts at this offset). */
  length: number;
  /** Every IE in order, concatenation IEs included. */
  elements: InformationElement[];
  /** The (last valid) concatenation IE; absent when there is none or it is invalid. */
  concat?: ConcatInfo;
  /**
   * Concatenation IEs that were ignored, and why (TS 23.040 §9.2.3.24.1: a zero or out-of-range
   * total/seq means "ignore the IE"): the part then stands alone.
   */
  problems: string[];
}

export type UdhParseResult = { ok: true; udh: ParsedUdh; body: Buffer } | { ok: false; error: string };

/** Split user data into its UDH and the body after it. */
export function parseUdh(userData: Buffer): UdhParseResult {
  if (userData.length === 0) return { ok: false, error: 'UDHI is set but the user data is empty' };
  const length = userData[0] + 1;
  if (length > userData.length) {
    return { ok: false, error: `UDH length ${userData[0]} exceeds the ${userData.length - 1} octets after it` };
  }
  const elements: InformationElement[] = [];
  for (let at = 1; at < length;) {
    if (at + 2 > length) return { ok: false, error: `UDH ends inside an IE header at octet ${at}` };
    const iei = userData[at];
    const end = at + 2 + userData[at + 1];
    if (end > length) return { ok: false, error: `IE 0x${iei.toString(16).padStart(2, '0')} overruns the UDH` };
    elements.push({ iei, data: Buffer.from(userData.subarray(at + 2, end)) });
    at = end;
  }
  const udh: ParsedUdh = { length, elements, problems: [] };
  for (const element of elements) {
    const read = readConcat(element);
    if (read === undefined) continue;
    if (typeof read === 'string') udh.problems.push(read);
    else udh.concat = read;
  }
  return { ok: true, udh, body: userData.subarray(length) };
}

/** A UDH (UDHL first) carrying `elements` in order. Throws RangeError past 255 octets. */
export function buildUdh(elements: readonly InformationElement[]): Buffer {
  const body = Buffer.concat(elements.flatMap((e) => [Buffer.of(e.iei, e.data.length), e.data]));
  if (body.length > 255) throw new RangeError(`UDH of ${body.length} octets does not fit its length octet`);
  return Buffer.concat([Buffer.of(body.length), body]);
}

/** The concatenation IE for `concat` (0x00 for an 8-bit reference, 0x08 for 16-bit). */
export function concatElement(concat: ConcatInfo): InformationElement {
  if (concat.refBits === 8) {
    return { iei: IEI_CONCAT_8, data: Buffer.of(concat.ref & 0xff, concat.total, concat.seq) };
  }
  return { iei: IEI_CONCAT_16, data: Buffer.of((concat.ref >> 8) & 0xff, concat.ref & 0xff, concat.total, concat.seq) };
}

/** A UDH holding only the concatenation IE: `05 00 03 ref total seq` or `06 08 04 refHi refLo total seq`. */
export function concatUdh(concat: ConcatInfo): Buffer {
  return buildUdh([concatElement(concat)]);
}

/** Why `concat` is not a valid part description; empty when it is. */
export function validateConcat(concat: ConcatInfo): string[] {
  const errors: string[] = [];
  const maxRef = concat.refBits === 8 ? 0xff : 0xffff;
  if (!Number.isInteger(concat.ref) || concat.ref < 0 || concat.ref > maxRef) {
    errors.push(`reference ${concat.ref} is outside 0..${maxRef}`);
  }
  if (!Number.isInteger(concat.total) || concat.total < 1 || concat.total > 255) {
    errors.push(`total ${concat.total} is outside 1..255`);
  }
  if (!Number.isInteger(concat.seq) || concat.seq < 1 || concat.seq > concat.total) {
    errors.push(`sequence ${concat.seq} is outside 1..${concat.total}`);
  }
  return errors;
}

/** The SAR TLVs of a submit_sm, as the smpp library names them. */
export type SarTlvs = Pick<SmppTlvs, 'sar_msg_ref_num' | 'sar_total_segments' | 'sar_segment_seqnum'>;

export type SarResult = { ok: true; concat?: ConcatInfo } | { ok: false; error: string };

/** ConcatInfo from SAR TLVs: none present → no concat; some or invalid → an error. */
export function concatFromSar(tlvs: SarTlvs): SarResult {
  const { sar_msg_ref_num: ref, sar_total_segments: total, sar_segment_seqnum: seq } = tlvs;
  const present = [ref, total, seq].filter((v) => v !== undefined).length;
  if (present === 0) return { ok: true };
  if (ref === undefined || total === undefined || seq === undefined) {
    return { ok: false, error: 'SAR TLVs need sar_msg_ref_num, sar_total_segments and sar_segment_seqnum together' };
  }
  const concat: ConcatInfo = { ref, total, seq, refBits: 16 };
  const errors = validateConcat(concat);
  return errors.length ? { ok: false, error: `SAR TLVs: ${errors.join('; ')}` } : { ok: true, concat };
}

/** The SAR TLVs for `concat`. */
export function sarTlvs(concat: ConcatInfo): Required<SarTlvs> {
  return { sar_msg_ref_num: concat.ref & 0xffff, sar_total_segments: concat.total, sar_segment_seqnum: concat.seq };
}

/** ConcatInfo of a concatenation IE, a problem text for a bad one, undefined for other IEs. */
function readConcat(element: InformationElement): ConcatInfo | string | undefined {
  const { iei, data } = element;
  let concat: ConcatInfo;
  if (iei === IEI_CONCAT_8) {
    if (data.length !== 3) return `IE 0x00 has ${data.length} data octets, expected 3`;
    concat = { ref: data[0], total: data[1], seq: data[2], refBits: 8 };
  } else if (iei === IEI_CONCAT_16) {
    if (data.length !== 4) return `IE 0x08 has ${data.length} data octets, expected 4`;
    concat = { ref: data.readUInt16BE(0), total: data[2], seq: data[3], refBits: 16 };
  } else {
    return undefined;
  }
  const errors = validateConcat(concat);
  return errors.length ? `IE 0x0${iei.toString(16)} ignored: ${errors.join('; ')}` : concat;
}
