/**
 * What the entry points let into a message's text (docs/web-api.md, "Text at the entry points").
 *
 * Two things cannot go further as they are:
 * - U+0000 (NUL): PostgreSQL `text` and its JSON functions refuse it (one NUL fails a whole
 *   batch of record writes), and C-string stacks at carriers and SMSCs cut the text there;
 * - an unpaired UTF-16 surrogate: not a Unicode character, so UTF-8 cannot encode it, and
 *   PostgreSQL refuses its `\ud800` JSON escape just the same.
 *
 * Every other character passes, other C0 controls included: they are valid Unicode that
 * PostgreSQL, JSON and the carriers' APIs carry; GSM-7 itself decodes to LF, CR and FF (and
 * its 0x00 septet is '@', never NUL, because cleaning runs on decoded text); and an 8-bit or
 * Latin-1 sender may mean them. The gateway carries text, it does not edit it.
 *
 * Text that comes from someone who cannot fix it (an ESME's decoded short message, a carrier
 * webhook, an MM4 text part) is cleaned with cleanText; text a REST client typed is refused
 * with textFault's reason. Identifiers are held to more: hasControlCharacter.
 */
import { loneSurrogateAt, wellFormed } from './ucs2.js';

/** Either problem might be present: NUL or any surrogate (paired ones are fine; the slow path tells). */
const SUSPECT = /[\u0000\ud800-\udfff]/;
const NUL = /\u0000/g;
/** C0 controls and DEL: never part of a number, an id, a username or a header value. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a text cannot be taken as it is. Stable values, safe to branch on. */
export const TextFault = {
  /** It holds U+0000. */
  NUL: 'nul',
  /** It holds a UTF-16 surrogate without its other half. */
  LONE_SURROGATE: 'lone-surrogate',
} as const;
export type TextFault = (typeof TextFault)[keyof typeof TextFault];

/**
 * `text` without U+0000 and with every unpaired surrogate replaced by U+FFFD; the same string
 * when it has neither (one regular-expression test on the common path). Idempotent.
 */
export function cleanText(text: string): string {
  if (!SUSPECT.test(text)) return text;
  return wellFormed(text.replace(NUL, ''));
}

/** What is wrong with `text` (NUL first), or undefined when cleanText would leave it as it is. */
export function textFault(text: string): TextFault | undefined {
  if (!SUSPECT.test(text)) return undefined;
  if (text.includes('\0')) return TextFault.NUL;
  return loneSurrogateAt(text) >= 0 ? TextFault.LONE_SURROGATE : undefined;
}

/** A sentence for an error answer: `'text' must not contain the NUL character (U+0000)`. */
export function describeTextFault(field: string, fault: TextFault): string {
  return fault === TextFault.NUL
    ? `'${field}' must not contain the NUL character (U+0000)`
    : `'${field}' must not contain an unpaired UTF-16 surrogate (\\ud800–\\udfff without its other half)`;
}

/** True when `value` holds a C0 control character (U+0000–U+001F) or DEL (U+007F). */
export function hasControlCharacter(value: string): boolean {
  return CONTROL.test(value);
}
