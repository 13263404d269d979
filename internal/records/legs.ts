import type { Egress } from '../../proto/message.js';
import type { DeliveryStatus } from '../../proto/status.js';
import type { MessageRecord, RecordStatus } from '../store/index.js';
import { segmentInfo } from '../text/index.js';

/** What building a leg needs to know beyond the envelope. */
export interface LegContext {
  serverId: string;
  /** 'legacy' | 'web' for a client id. */
  clientType(clientId: number): string;
  /** Clients who asked for log privacy get no text preview. */
  logPrivacy(clientId: number): boolean;
}

const DELIVERY_METHOD = { carrier: 'carrier_api', smpp: 'smpp', mm4: 'mm4', webhook: 'webhook' } as const;

export function legStatus(status: DeliveryStatus): RecordStatus {
  return status;
}

/**
 * The ledger legs of a routed message (upstream-behaviour.md §7.8): an outbound leg for the
 * client that sent it, an inbound leg for the client that receives it; both when it stays inside
 * the gateway. Every stage rebuilds the full legs with its status, so a lost write heals.
 */
export function legsFor(
  egress: Egress,
  ctx: LegContext,
  status: RecordStatus,
  extra: { carrierMsgId?: string; error?: string } = {},
): MessageRecord[] {
  const { message: m, route, senderClientId: sender, receiverClientId: receiver } = egress;
  const internal = sender !== undefined && receiver !== undefined;
  const text = m.type === 'sms' ? segmentInfo(m.text) : undefined;
  const base = {
    messageId: m.id,
    to: m.to,
    from: m.from,
    receivedTimestamp: new Date(m.receivedAt),
    type: m.type,
    carrier: route.kind === 'carrier' ? route.carrierName : '',
    carrierId: route.kind === 'carrier' ? route.carrierId : 0,
    internal,
    logId: m.id,
    serverId: ctx.serverId,
    fromClientType: sender !== undefined ? ctx.clientType(sender) : m.origin.kind === 'carrier' ? 'carrier' : m.origin.kind,
    toClientType: receiver !== undefined ? ctx.clientType(receiver) : 'carrier',
    deliveryMethod: DELIVERY_METHOD[route.kind],
    sourceIp: m.origin.sourceIp ?? '',
    encoding: text?.encoding ?? '',
    totalSegments: text?.segments ?? 0,
    originalBytesLength: Buffer.byteLength(m.text),
    originalSizeBytes: m.media.reduce((sum, part) => sum + (part.sizeBytes ?? 0), 0),
    transcodedSizeBytes: 0,
    mediaCount: m.media.length,
    transcodingPerformed: false,
    status,
    carrierMsgId: extra.carrierMsgId ?? '',
    error: extra.error ?? '',
  };
  const preview = (clientId: number) => (ctx.logPrivacy(clientId) ? '' : m.text.slice(0, 20));
  const legs: MessageRecord[] = [];
  if (sender !== undefined) legs.push({ ...base, clientId: sender, direction: 'outbound', textPreview: preview(sender) });
  if (receiver !== undefined) legs.push({ ...base, clientId: receiver, direction: 'inbound', textPreview: preview(receiver) });
  return legs;
}

/**
 * The sender's leg of a message that never got a route (no owner, no carrier, bad number): it
 * still belongs in the sender's history, with the reason.
 */
export function unroutedLeg(m: Egress['message'], clientId: number, ctx: LegContext, status: RecordStatus, error: string): MessageRecord {
  const text = m.type === 'sms' ? segmentInfo(m.text) : undefined;
  return {
    messageId: m.id, clientId, direction: 'outbound', to: m.to, from: m.from,
    receivedTimestamp: new Date(m.receivedAt), type: m.type, carrier: '', carrierId: 0, internal: false,
    logId: m.id, serverId: ctx.serverId, fromClientType: ctx.clientType(clientId), toClientType: '',
    deliveryMethod: '', sourceIp: m.origin.sourceIp ?? '', encoding: text?.encoding ?? '',
    totalSegments: text?.segments ?? 0, originalBytesLength: Buffer.byteLength(m.text),
    originalSizeBytes: m.media.reduce((sum, part) => sum + (part.sizeBytes ?? 0), 0), transcodedSizeBytes: 0,
    mediaCount: m.media.length, transcodingPerformed: false, status, carrierMsgId: '', error,
    textPreview: ctx.logPrivacy(clientId) ? '' : m.text.slice(0, 20),
  };
}
