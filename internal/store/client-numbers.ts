import type { ClientDetails, ClientNumber } from './types.js';

/** A client's numbers by number, made once per list: the directory replaces a changed client. */
const byNumber = new WeakMap<readonly ClientNumber[], Map<string, ClientNumber>>();

/**
 * The client's number `e164`, or undefined when the client does not own it: the one ownership
 * check of every entry point and room. Numbers are stored in canonical E.164 (the admin API and the
 * importer normalise them), so `e164` must be canonical too (proto/e164.ts normalizeE164).
 */
export function clientNumber(client: ClientDetails, e164: string): ClientNumber | undefined {
  let numbers = byNumber.get(client.numbers);
  if (!numbers || numbers.size !== client.numbers.length) {
    numbers = new Map(client.numbers.map((n) => [n.number, n]));
    byNumber.set(client.numbers, numbers);
  }
  return numbers.get(e164);
}
