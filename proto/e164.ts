/**
 * Canonical phone numbers. Every number the gateway stores, compares or puts on the bus is E.164
 * with a leading '+' (ITU-T E.164 §6: at most 15 digits, no leading zero in the country code).
 * Exact comparison of canonical forms replaces upstream's substring matching (upstream BUG-1).
 */

/** ITU-T E.164: '+', a non-zero first digit, 2 to 15 digits in all. */
export const E164_PATTERN = /^\+[1-9]\d{1,14}$/;

/** Punctuation people write inside numbers: spaces, dashes, parentheses, dots. */
const SEPARATORS = /[\s\-().]/g;
/** C0 controls and DEL (a NUL, a tab, a line break): never a separator, always invalid. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Normalises a number written by a person or a peer to canonical E.164, or returns null when it
 * is not one. Accepts separators (`+1 (250) 555-1234`, `1.250.555.1234`), a leading '+' or the
 * international `00` prefix (`0012505551234`), or bare digits (`12505551234`). Never adds a
 * country code: a 10-digit NANP number stays `+2505551234`, as upstream did (§6.3).
 * Letters, a '+' after the start, control characters, or anything else make it invalid.
 */
export function normalizeE164(input: string): string | null {
  if (CONTROL.test(input)) return null;
  const compact = input.replace(SEPARATORS, '');
  let digits: string;
  if (compact.startsWith('+')) {
    digits = compact.slice(1);
  } else if (compact.startsWith('00')) {
    digits = compact.slice(2);
  } else {
    digits = compact;
  }
  if (!/^\d+$/.test(digits)) return null;
  const e164 = `+${digits}`;
  return E164_PATTERN.test(e164) ? e164 : null;
}

/** True when `value` is already canonical E.164. */
export function isE164(value: string): boolean {
  return E164_PATTERN.test(value);
}
