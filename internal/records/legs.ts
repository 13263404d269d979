import type { Egress } from '../../proto/message.js';
import type { MessageRecord, RecordStatus } from '../store/index.js';
import { segmentInfo } from '../text/index.js';

/** What building a leg needs to know beyond the envelope. */
export interface LegContext {
  serverId: string;
  /** 'legacy' | 'web' for a client id. */
  clientType(clientId: number): string;
  /** Clients who asked for log privacy get no text preview. */
  logPrivacy(clientId: number): boolean;
  /** A client's username, for notes such as a failover's; the id alone without it. */
  clientName?(clientId: number): string | undefined;
}

const DELIVERY_METHOD = { carrier: 'carrier_api', smpp: 'smpp', mm4: 'mm4', webhook: 'webhook' } as const;

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
  const sizes = mediaSizes(m);
  const receipt = smppReceiptInfo(m);
  const receivedTimestamp = new Date(m.receivedAt);
  const fromClientType = sender !== undefined ? ctx.clientType(sender) : m.origin.kind === 'carrier' ? 'carrier' : m.origin.kind;
  const toClientType = receiver !== undefined ? ctx.clientType(receiver) : 'carrier';
  const originalBytesLength = Buffer.byteLength(m.text);
  const failoverNote = egress.failoverFrom !== undefined ? failoverText(egress.failoverFrom, ctx) : '';
  // One literal per leg, every field named: V8 copies a spread of a spread-built object slowly,
  // and legs are built twice a message.
  const leg = (clientId: number, direction: 'outbound' | 'inbound'): MessageRecord => ({
    messageId: m.id,
    clientId,
    direction,
    to: m.to,
    from: m.from,
    receivedTimestamp,
    type: m.type,
    carrier: route.kind === 'carrier' ? route.carrierName : '',
    carrierId: route.kind === 'carrier' ? route.carrierId : 0,
    internal,
    logId: m.id,
    serverId: ctx.serverId,
    fromClientType,
    toClientType,
    deliveryMethod: DELIVERY_METHOD[route.kind],
    sourceIp: m.origin.sourceIp ?? '',
    encoding: text?.encoding ?? '',
    totalSegments: text?.segments ?? 0,
    originalBytesLength,
    originalSizeBytes: sizes.originalSizeBytes,
    transcodedSizeBytes: sizes.transcodedSizeBytes,
    transcodingPerformed: sizes.transcodingPerformed,
    mediaCount: m.media.length,
    status,
    carrierMsgId: extra.carrierMsgId ?? '',
    error: extra.error ?? failoverNote,
    textPreview: ctx.logPrivacy(clientId) ? '' : textPreview(m.text),
    registeredDelivery: receipt.registeredDelivery,
    smppPartIds: receipt.smppPartIds,
  });
  const legs: MessageRecord[] = [];
  if (sender !== undefined) legs.push(leg(sender, 'outbound'));
  if (receiver !== undefined) legs.push(leg(receiver, 'inbound'));
  return legs;
}

/**
 * The ledger's note on a message a failover client received (upstream §7.3): the receiving leg
 * names the fallback, this names the client it was for.
 */
export function failoverText(primaryId: number, ctx: Pick<LegContext, 'clientName'>): string {
  const name = ctx.clientName?.(primaryId);
  return `failover from client ${primaryId}${name ? ` (${name})` : ''}`;
}

/**
 * The sender's leg of a message that never got a route (no owner, no carrier, bad number): it
 * still belongs in the sender's history, with the reason.
 */
export function unroutedLeg(m: Egress['message'], clientId: number, ctx: LegContext, status: RecordStatus, error: string): MessageRecord {
  const text = m.type === 'sms' ? segmentInfo(m.text) : undefined;
  return {
    messageId: m.id,
    clientId,
    direction: 'outbound',
    to: m.to,
    from: m.from,
    receivedTimestamp: new Date(m.receivedAt),
    type: m.type,
    carrier: '',
    carrierId: 0,
    internal: false,
    logId: m.id,
    serverId: ctx.serverId,
    fromClientType: ctx.clientType(clientId),
    toClientType: '',
    deliveryMethod: '',
    sourceIp: m.origin.sourceIp ?? '',
    encoding: text?.encoding ?? '',
    totalSegments: text?.segments ?? 0,
    originalBytesLength: Buffer.byteLength(m.text),
    ...mediaSizes(m),
    mediaCount: m.media.length,
    status,
    carrierMsgId: '',
    error,
    textPreview: ctx.logPrivacy(clientId) ? '' : textPreview(m.text),
    ...smppReceiptInfo(m),
  };
}

/** Characters of a message's text kept on its ledger legs (upstream §7.8). */
const PREVIEW_CHARS = 20;

/** The first PREVIEW_CHARS of `text`, never ending in half a surrogate pair (PostgreSQL refuses one in JSON). */
export function textPreview(text: string): string {
  const cut = text.slice(0, PREVIEW_CHARS);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** What a later delivery receipt needs from an SMPP submit: kept on every leg. */
function smppReceiptInfo(m: Egress['message']): Pick<MessageRecord, 'registeredDelivery' | 'smppPartIds'> {
  return { registeredDelivery: m.smpp?.registeredDelivery ?? 0, smppPartIds: m.smpp?.partIds ?? [] };
}

/**
 * Media sizes for the record: before transcoding (a transcoded part remembers its original
 * size) and, when anything was transcoded, the total after (upstream never set these, §3.9).
 */
function mediaSizes(m: Egress['message']): Pick<MessageRecord, 'originalSizeBytes' | 'transcodedSizeBytes' | 'transcodingPerformed'> {
  const transcodingPerformed = m.media.some((part) => part.originalSizeBytes !== undefined);
  const sum = (size: (part: Egress['message']['media'][number]) => number | undefined) =>
    m.media.reduce((total, part) => total + (size(part) ?? 0), 0);
  return {
    originalSizeBytes: sum((part) => part.originalSizeBytes ?? part.sizeBytes),
    transcodedSizeBytes: transcodingPerformed ? sum((part) => part.sizeBytes) : 0,
    transcodingPerformed,
  };
}
