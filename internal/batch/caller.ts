import { normalizeE164 } from '../../proto/e164.js';
import { ForbiddenError, ValidationError } from '../errors/index.js';
import type { BatchCaller } from './types.js';

/**
 * The sending number of a batch in canonical E.164 (upstream §5.10): the given one if the client
 * owns it (compared in canonical form), or the client's only number when none is given; an API
 * key limited to some numbers may use only those (§4.3).
 */
export function resolveBatchFrom(caller: BatchCaller, given: string): string {
  const { client } = caller;
  let from: string | null;
  if (given.trim() === '') {
    const only = client.numbers.length === 1 ? client.numbers[0] : undefined;
    if (!only) throw new ValidationError("'from' field is required when client has multiple numbers");
    from = normalizeE164(only.number) ?? only.number;
  } else {
    from = normalizeE164(given);
    const owned = from !== null && client.numbers.some((n) => (normalizeE164(n.number) ?? n.number) === from);
    if (!owned || from === null) throw new ForbiddenError("Client does not own the specified 'from' number");
  }
  const allowed = caller.apiKey?.allowedNumbers ?? [];
  if (allowed.length > 0 && !allowed.some((entry) => normalizeE164(entry.number) === from)) {
    throw new ForbiddenError('API key is not authorized to send from this number');
  }
  return from;
}
