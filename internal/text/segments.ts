import { GSM7_BASIC_INDEX, GSM7_EXTENSION_INDEX } from './gsm7.js';

export type SmsEncoding = 'gsm7' | 'ucs2';

/** Single-part and per-part limits (3GPP TS 23.040 §9.2.3.24.1: a 6-octet concatenation UDH). */
export const GSM7_SINGLE = 160;
export const GSM7_PART = 153;
export const UCS2_SINGLE = 70;
export const UCS2_PART = 67;

/**
 * Septets each UTF-16 code unit takes in GSM-7: 1 (basic table), 2 (escape + extension table), 0
 * (not in the alphabet). A lookup per code unit: segment counts run several times per message
 * (quota units, the ledger's legs), and iterating the text made a string per character and
 * probed two maps with it. Every GSM-7 character is one BMP code unit, so a surrogate (an astral
 * character's half) is 0, as that character is.
 */
const SEPTETS: Uint8Array = (() => {
  const table = new Uint8Array(0x10000);
  for (const [chars, septets] of [
    [GSM7_BASIC_INDEX, 1],
    [GSM7_EXTENSION_INDEX, 2],
  ] as const) {
    for (const ch of chars.keys()) {
      if (ch.length !== 1) throw new Error(`GSM-7 table entry ${JSON.stringify(ch)} is not one code unit`);
      table[ch.charCodeAt(0)] = septets;
    }
  }
  return table;
})();

/** Septets the text needs in GSM-7, or null when a character is outside the alphabet. */
export function gsm7Length(text: string): number | null {
  let septets = 0;
  for (let i = 0; i < text.length; i++) {
    const n = SEPTETS[text.charCodeAt(i)]!;
    if (n === 0) return null;
    septets += n;
  }
  return septets;
}

export interface SegmentInfo {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

/**
 * How a text goes out as SMS: GSM-7 when every character fits, else UCS-2; and how many parts
 * it takes. An empty text is one segment (an empty SMS still costs one).
 */
export function segmentInfo(text: string): SegmentInfo {
  const septets = gsm7Length(text);
  if (septets !== null) {
    return { encoding: 'gsm7', units: septets, segments: septets <= GSM7_SINGLE ? 1 : Math.ceil(septets / GSM7_PART) };
  }
  const units = text.length;
  return { encoding: 'ucs2', units, segments: units <= UCS2_SINGLE ? 1 : Math.ceil(units / UCS2_PART) };
}

/**
 * The encoding an outbound SMS uses (upstream §8.6): 'gsm7' when every character is in the
 * GSM 03.38 default alphabet or its extension table, else 'ucs2'.
 */
export function chooseEncoding(text: string): SmsEncoding {
  return gsm7Length(text) === null ? 'ucs2' : 'gsm7';
}

/**
 * Longest text a REST send or a batch item may carry, in characters (Unicode code points):
 * Twilio's limit for one message body (error 21617 beyond it), about 10 GSM-7 segments. Upstream
 * had no limit.
 */
export const DEFAULT_MAX_TEXT_CHARS = 1600;
