import { Keyword } from './types.js';

/**
 * Compliance keywords as US carriers and CTIA handle them (Twilio, Telnyx and Bandwidth use these
 * lists). Upstream interpreted none (§13.5 step 7, BUG-28); the gateway uses them only to decide
 * what auto-reply may answer, never to block a client's own messages: carriers keep the opt-out
 * lists that block sending.
 */
const KEYWORDS: ReadonlyMap<string, Keyword> = new Map([
  ...['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'].map((word) => [word, Keyword.STOP] as const),
  ...['START', 'UNSTOP', 'YES'].map((word) => [word, Keyword.START] as const),
  ...['HELP', 'INFO'].map((word) => [word, Keyword.HELP] as const),
]);

/** Punctuation and spaces people put around a one-word reply ("Stop.", " STOP! "). */
const EDGES = /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu;

/**
 * The keyword a message consists of, or undefined. Only a message that is the keyword alone
 * counts (case-insensitive, surrounding punctuation ignored): "please stop calling me" is a
 * message for a person, not an opt-out.
 */
export function complianceKeyword(text: string): Keyword | undefined {
  const word = text.replace(EDGES, '').toUpperCase();
  return KEYWORDS.get(word);
}
