import { ValidationError } from '../errors/index.js';

/** What to do with a character (or septet, or byte) the target alphabet has no place for. */
export type OnUnknown = 'error' | 'replace';

/** Why a text could not be encoded or decoded. Stable values, safe to branch on. */
export const TextErrorReason = {
  /** A character has no code in the target alphabet (encoding). */
  UNENCODABLE: 'unencodable',
  /** A byte or septet sequence has no meaning in the source alphabet (decoding). */
  UNDECODABLE: 'undecodable',
  /** The input is cut short: a trailing ESC, an odd UCS-2 byte count. */
  TRUNCATED: 'truncated',
} as const;
export type TextErrorReason = (typeof TextErrorReason)[keyof typeof TextErrorReason];

/**
 * A strict encode or decode met something it could not represent. `position` is the index in
 * the input (UTF-16 code unit index for text, byte index for bytes) of the first offender.
 */
export class TextCodecError extends ValidationError {
  override name = 'TextCodecError';
  readonly reason: TextErrorReason;
  readonly position: number;

  constructor(reason: TextErrorReason, position: number, message: string) {
    super(message, { details: { reason, position } });
    this.reason = reason;
    this.position = position;
  }
}

/** The replacement for an unencodable character, or for an undecodable septet/byte in GSM-7,
 *  IA5 and Latin-1 ('?' is the same code in all three). */
export const REPLACEMENT = '?';
