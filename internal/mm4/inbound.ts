/**
 * What the MM4 entry point does with one received mail, before it answers the SMTP DATA:
 * an MM4_forward.REQ is stored (media in the media store, one message per recipient handed to
 * the ingress, which routes it and publishes it durably, or puts it on msg.in.mm4 for the
 * router) and only then answered 250; an MM4_forward.RES or
 * MM4_delivery_report.REQ about a message the gateway sent becomes a status event. Every refusal
 * is a GatewayError, turned into its SMTP reply by smtp-reply.ts.
 */
import { randomUUID } from 'node:crypto';
import { normalizeE164 } from '../../proto/e164.js';
import { newMessage, type MediaRef, type Message } from '../../proto/message.js';
import type { DeliveryStatus } from '../../proto/status.js';
import type { Subjects } from '../../proto/subjects.js';
import type { DurableBus, KvBucket } from '../bus/index.js';
import { ForbiddenError, PayloadTooLargeError, ValidationError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { MediaStore } from '../media/index.js';
import type { Metrics } from '../metrics/index.js';
import { publishStatus } from '../router/index.js';
import { clientNumber, type ClientDetails } from '../store/index.js';
import { gatewayIdOf } from './headers.js';
import { parseMm4 } from './parse.js';
import { statusFromMmStatus, statusFromRequestStatus } from './status-map.js';
import { Mm4MessageType, type Mm4Headers, type Mm4Mail, type ReportRequest } from './types.js';

/** gomsggw's success text (upstream Appendix B), which peers may log or match. */
export const QUEUED_TEXT = 'Message queued for processing';

/** Message types by their lowercase spelling (peers differ in case). */
const MESSAGE_TYPES = new Map<string, Mm4MessageType>(Object.values(Mm4MessageType).map((t) => [t.toLowerCase(), t]));

export interface InboundOptions {
  subjects: Subjects;
  nodeId: string;
}

/** Answers the request's originator (MM4_forward.RES, MM4_delivery_report.RES) in the background. */
export interface Responder {
  respond(client: ClientDetails, headers: Mm4Headers, type: 'forward' | 'report'): void;
}

export interface InboundDeps {
  /**
   * Stores one message durably (the node's IngressRouter.accept('mm4', …)): routed where it
   * arrives, with the clients' quotas checked (QuotaExceededError → 452), or on msg.in.mm4.
   * Resolves only after the acknowledged, deduplicated publish. `dedupKey`: the same forward
   * retried by the peer (see forward()) enters once.
   */
  ingress(message: Message, dedupKey?: string): Promise<void>;
  /** Status events from responses and reports. */
  bus: Pick<DurableBus, 'publishDurable'>;
  /** The bucket of delivery-report requests (subjects.mm4ReportBucket). */
  reports: Pick<KvBucket, 'create'>;
  media: Pick<MediaStore, 'put' | 'maxBytes'>;
  responder: Responder;
  logger: Logger;
  metrics: Metrics;
  newId?: () => string;
}

/** The peer a mail came from: its IP and the legacy clients that IP speaks for. */
export interface InboundPeer {
  ip: string;
  clients: readonly ClientDetails[];
}

export class Mm4Inbound {
  constructor(
    private readonly options: InboundOptions,
    private readonly deps: InboundDeps,
  ) {}

  /** Handles one mail; resolves with the 250 text once everything it implies is durable. */
  async receive(raw: Buffer, peer: InboundPeer): Promise<string> {
    const mail = await parseMm4(raw);
    const { headers } = mail;
    switch (MESSAGE_TYPES.get(headers.messageType.toLowerCase())) {
      case Mm4MessageType.FORWARD_REQ:
        return this.forward(mail, peer);
      case Mm4MessageType.FORWARD_RES:
        return this.status(headers, peer, true);
      case Mm4MessageType.DELIVERY_REPORT_REQ:
        return this.status(headers, peer, false);
      case Mm4MessageType.READ_REPLY_REPORT_REQ:
        // No read status in proto/status.ts: acknowledge so the peer does not retry.
        this.answer(headers, peerClient(headers, peer), 'report');
        return QUEUED_TEXT;
      case Mm4MessageType.DELIVERY_REPORT_RES:
      case Mm4MessageType.READ_REPLY_REPORT_RES:
        return QUEUED_TEXT;
      default:
        throw new ValidationError(`unsupported X-Mms-Message-Type: ${headers.messageType || '(empty)'}`);
    }
  }

  /** MM4_forward.REQ: the sender must be one of the peer's clients' numbers. */
  private async forward(mail: Mm4Mail, peer: InboundPeer): Promise<string> {
    const started = performance.now();
    const { headers } = mail;
    const from = normalizeE164(headers.from?.value ?? '');
    if (!from) throw new ValidationError(`invalid sender address: ${headers.from?.raw ?? '(empty)'}`);
    const client = peer.clients.find((c) => clientNumber(c, from));
    if (!client) throw new ForbiddenError(`the sender ${from} is not a number of this client`);
    const recipients = [...new Set(headers.recipients.map((r) => normalizeE164(r.value) ?? r.value))];
    if (recipients.length === 0) throw new ValidationError('no recipient in To or Cc');
    if (!mail.text && mail.parts.length === 0) throw new ValidationError('the message has no text and no media');

    // Media first: a message is never routed with parts that are not stored yet. A failure on a
    // later recipient leaves the earlier ones stored and answers an error; the peer retries the
    // whole forward, and the recipients already stored enter once, by a key made of the peer's
    // own message id (within the bus's dedup window, DUPLICATE_WINDOW_MS).
    const media = await this.storeMedia(mail);
    const forwardId = headers.messageId || headers.transactionId;
    for (const to of recipients) {
      const dedupKey = forwardId ? `mm4:${client.id}:${forwardId}:${to}` : undefined;
      await this.publish(this.message(client, peer.ip, from, to, mail.text, media), headers, client, dedupKey);
    }
    this.deps.metrics.ingress.inc({ protocol: 'mm4' }, recipients.length);
    this.deps.metrics.ingressLatency.observe({ protocol: 'mm4' }, (performance.now() - started) / 1000);
    this.answer(headers, client, 'forward');
    return QUEUED_TEXT;
  }

  private async storeMedia(mail: Mm4Mail): Promise<MediaRef[]> {
    // Every part is checked first: a refused mail leaves none of its parts stored.
    const big = mail.parts.find((p) => p.bytes.length > this.deps.media.maxBytes);
    if (big)
      throw new PayloadTooLargeError(
        `the media part ${big.filename || big.contentType} is ${big.bytes.length} bytes; at most ${this.deps.media.maxBytes} are accepted`,
      );
    const refs: MediaRef[] = [];
    for (const part of mail.parts) {
      const stored = await this.deps.media.put({ bytes: part.bytes, contentType: part.contentType, filename: part.filename || undefined });
      refs.push({
        url: stored.url,
        token: stored.token,
        contentType: stored.contentType,
        filename: stored.filename,
        sizeBytes: stored.sizeBytes,
      });
    }
    return refs;
  }

  private message(client: ClientDetails, ip: string, from: string, to: string, text: string, media: MediaRef[]): Message {
    return newMessage({
      id: (this.deps.newId ?? randomUUID)(),
      type: 'mms',
      from,
      to,
      text,
      media,
      origin: { kind: 'mm4', clientId: client.id, sourceIp: ip, node: this.options.nodeId },
    });
  }

  /** Remembers a wanted delivery report first, so the report can never arrive before it. */
  private async publish(message: Message, headers: Mm4Headers, client: ClientDetails, dedupKey?: string): Promise<void> {
    if (headers.deliveryReportRequested && headers.messageId) {
      const request: ReportRequest = {
        clientId: client.id,
        mm4MessageId: headers.messageId,
        from: headers.from?.raw ?? message.from,
        to: message.to,
      };
      await this.deps.reports.create(message.id, JSON.stringify(request));
    }
    await this.deps.ingress(message, dedupKey);
  }

  /**
   * A response or report about an MM4 message the gateway sent (its X-Mms-Message-ID is ours):
   * published as a status event for the message's sender, deduplicated per status.
   */
  private async status(headers: Mm4Headers, peer: InboundPeer, isResponse: boolean): Promise<string> {
    const messageId = gatewayIdOf(headers);
    if (!messageId) throw new ValidationError('X-Mms-Message-ID names no message');
    const status: DeliveryStatus = isResponse ? statusFromRequestStatus(headers.requestStatus) : statusFromMmStatus(headers.mmStatus);
    const code = isResponse ? headers.requestStatus : headers.mmStatus;
    const s = this.options.subjects;
    // A report's From is the recipient and its To the original sender; a response names systems.
    const from = isResponse ? '' : (headers.recipients[0]?.value ?? '');
    const to = isResponse ? '' : (headers.from?.value ?? '');
    await publishStatus(this.deps.bus, s, {
      v: 1,
      messageId,
      status,
      from,
      to,
      errorCode: status === 'delivered' ? undefined : code || undefined,
      errorText: headers.statusText || undefined,
      at: Date.now(),
    });
    if (!isResponse) this.answer(headers, peerClient(headers, peer), 'report');
    return QUEUED_TEXT;
  }

  private answer(headers: Mm4Headers, client: ClientDetails, type: 'forward' | 'report'): void {
    if (headers.ackRequested) this.deps.responder.respond(client, headers, type);
  }
}

/**
 * Which of the peer's clients a report came from (several clients may share a host): the one
 * owning its From number (a report's From is the recipient it reports on), else the first.
 */
function peerClient(headers: Mm4Headers, peer: InboundPeer): ClientDetails {
  const from = normalizeE164(headers.from?.value ?? '');
  return (from && peer.clients.find((c) => clientNumber(c, from))) || peer.clients[0]!;
}
