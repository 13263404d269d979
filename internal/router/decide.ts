import { normalizeE164 } from '../../proto/e164.js';
import { ErrorCode } from '../../proto/errors.js';
import type { Egress, Message, Route } from '../../proto/message.js';
import type { Carrier, ClientDetails, ClientNumber } from '../store/index.js';

/** The part of the directory routing reads. */
export interface RoutingView {
  numberByE164(e164: string): ClientNumber | undefined;
  client(id: number): ClientDetails | undefined;
  carrierByName(name: string): Carrier | undefined;
  carriers(): Carrier[];
}

export type Decision =
  | { kind: 'route'; egress: Egress }
  | {
      kind: 'reject';
      code: ErrorCode;
      reason: string;
      /** The client to tell (the sender), when there is one. */
      senderClientId?: number;
      /** The message with canonical numbers, for the failure record. */
      message: Message;
    };

/**
 * Canonical form of a number as peers send it: MM4's `+15550001111/TYPE=PLMN` suffix dropped,
 * separators removed. A sender that is not a number (alphanumeric, short code) stays as sent.
 */
export function canonicalNumber(raw: string): string {
  const bare = raw.split('/', 1)[0]!.trim();
  return normalizeE164(bare) ?? bare;
}

const CLIENT_ORIGINS = new Set(['smpp', 'mm4', 'web']);

/**
 * Where a message goes (upstream-behaviour.md §7, with BUG-1/2/3 fixed): exact number lookups,
 * a client may only send from its own numbers, a client-owned destination is delivered inside
 * the gateway, anything else leaves through the carrier named by the sender's number (by
 * carrier name, or by type for gomsggw-era rows that hold a type name).
 */
export function decide(input: Message, view: RoutingView): Decision {
  const message: Message = { ...input, from: canonicalNumber(input.from), to: canonicalNumber(input.to) };
  const reject = (code: ErrorCode, reason: string, senderClientId?: number): Decision => ({
    kind: 'reject',
    code,
    reason,
    senderClientId,
    message,
  });

  let senderClientId: number | undefined;
  const senderNumber = view.numberByE164(message.from);
  // A gateway message sent on a client's behalf (an auto-reply) is checked and routed as the client's.
  const onBehalf = message.origin.kind === 'system' && message.origin.clientId !== undefined;
  if (CLIENT_ORIGINS.has(message.origin.kind) || onBehalf) {
    senderClientId = message.origin.clientId;
    if (!senderNumber || senderNumber.clientId !== senderClientId) {
      return reject(ErrorCode.FORBIDDEN, `the sender does not own the number ${message.from}`, senderClientId);
    }
  }
  if (!normalizeE164(message.to)) {
    return reject(ErrorCode.VALIDATION, `invalid destination number ${input.to}`, senderClientId);
  }

  const receiverNumber = view.numberByE164(message.to);
  if (receiverNumber) {
    const route = clientRoute(message, receiverNumber, view);
    if (typeof route === 'string') return reject(ErrorCode.NO_ROUTE, route, senderClientId);
    return { kind: 'route', egress: { v: 1, message, route, senderClientId, receiverClientId: receiverNumber.clientId } };
  }
  if (senderClientId === undefined || !senderNumber) {
    return reject(ErrorCode.NO_ROUTE, `no client owns the number ${message.to}`);
  }
  const carrier = carrierFor(senderNumber.carrier, view);
  if (!carrier) {
    return reject(ErrorCode.NO_ROUTE, `the carrier '${senderNumber.carrier}' of ${message.from} is not configured`, senderClientId);
  }
  const route: Route = { kind: 'carrier', carrierId: carrier.id, carrierName: carrier.name };
  return { kind: 'route', egress: { v: 1, message, route, senderClientId } };
}

function clientRoute(message: Message, number: ClientNumber, view: RoutingView): Route | string {
  const client = view.client(number.clientId);
  if (!client) return `no client owns the number ${message.to}`;
  if (client.type === 'web') {
    const url = number.webhook || client.settings?.defaultWebhook || '';
    if (!url) return `no webhook is configured for ${message.to} (client ${client.username})`;
    return { kind: 'webhook', clientId: client.id, url };
  }
  return message.type === 'mms' ? { kind: 'mm4', clientId: client.id } : { kind: 'smpp', clientId: client.id };
}

/** By name first; a legacy row may name a carrier type (gomsggw routed by type, §10.0). */
export function carrierFor(name: string, view: RoutingView): Carrier | undefined {
  if (!name) return undefined;
  return view.carrierByName(name) ?? view.carriers().find((c) => c.type === name.toLowerCase());
}
