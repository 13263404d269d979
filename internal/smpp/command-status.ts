/**
 * The SMPP entry point's one conversion of errors to the wire (style.md "Errors"): an SMPP-specific
 * refusal carries its command_status; any other GatewayError goes through proto/errors.ts's
 * table; anything else is ESME_RSYSERR, and its text never reaches the ESME.
 */
import { ESME, GatewayError, ValidationError, wireStatus, type GatewayErrorOptions } from '../errors/index.js';
import { ShortMessageError } from './data-coding.js';

/** SMPP 3.4 §5.1.3 codes the table in proto/errors.ts has no name for. */
export const SmppStatus = {
  ...ESME,
  /** submit_sm failed: text that cannot be decoded in its data_coding. */
  RSUBMITFAIL: 0x45,
  /** Message queue full: here, a client's incomplete concatenated messages are at their limit. */
  RMSGQFUL: 0x14,
  /** A message the ESME asked about is not known (query_sm). */
  RINVMSGID: 0x0c,
  RQUERYFAIL: 0x67,
} as const;

/** A refusal with a specific command_status (the session stays up). */
export class SmppStatusError extends ValidationError {
  override name = 'SmppStatusError';
  constructor(
    readonly commandStatus: number,
    message: string,
    options?: GatewayErrorOptions,
  ) {
    super(message, options);
  }
}

export function toCommandStatus(err: unknown): number {
  if (err instanceof SmppStatusError) return err.commandStatus;
  if (err instanceof ShortMessageError) return err.reason === 'udh' ? SmppStatus.RINVMSGLEN : SmppStatus.RSUBMITFAIL;
  if (err instanceof GatewayError) return wireStatus[err.code].smpp;
  return SmppStatus.RSYSERR;
}
