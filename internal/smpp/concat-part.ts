import { ValidationError } from '../errors/index.js';
import { SmppStatus, SmppStatusError } from './command-status.js';
import type { ConcatPart } from './ports.js';

/**
 * Rejects parts that could make a set look complete while a seq is missing; every Reassembler
 * checks a part with it before storing anything.
 */
export function checkPart(part: ConcatPart): void {
  const { total, seq } = part;
  if (!Number.isInteger(total) || total < 1 || !Number.isInteger(seq) || seq < 1 || seq > total) {
    throw new ValidationError(`concatenated part ${seq} of ${total} is out of range`);
  }
}

/** The bytes a part counts against ReassemblyLimits.maxOpenBytesPerClient. */
export function partBytes(part: ConcatPart): number {
  return Buffer.byteLength(part.text, 'utf8');
}

/**
 * A client holds as many incomplete concatenated messages as it may. ESME_RMSGQFUL (SMPP 3.4
 * §5.1.3, "message queue full"): a temporary refusal the ESME retries later (Kannel counts it a
 * temporary failure, like ESME_RTHROTTLED), while its open sets complete or expire.
 */
export class ReassemblyFullError extends SmppStatusError {
  override name = 'ReassemblyFullError';
  constructor(clientId: number) {
    super(SmppStatus.RMSGQFUL, `client ${clientId} has too many incomplete concatenated messages`);
  }
}
