import { ValidationError } from '../errors/index.js';
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
