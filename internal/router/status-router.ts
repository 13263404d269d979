import { statusCodec, type StatusEvent } from '../../proto/status.js';
import type { Subjects } from '../../proto/subjects.js';
import { ack, maxDeliverFor, retry, term, type Bus, type Consumer, type DurableMsg, type Outcome } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { RecordWriter } from '../records/index.js';
import type { ClientDetails, RecordRepo, StoredRecord } from '../store/index.js';
import { forwardStatus } from './status-forward.js';

/** A carrier may call back before our 'sent' record is flushed: look again a few times. */
const UNKNOWN_ID_RETRIES = 8;
const UNKNOWN_ID_DELAY_MS = 2_000;
const RETRY_DELAY_MS = 1_000;

export interface StatusRouterOptions {
  subjects: Subjects;
  concurrency?: number;
  /** BUS_MAX_DELIVER: deliveries before an event is dead-lettered. Default DEFAULT_MAX_DELIVER. */
  maxDeliver?: number;
}

export interface StatusRouterDeps {
  bus: Bus;
  records: RecordWriter;
  recordRepo: Pick<RecordRepo, 'byMessageId' | 'byCarrierMsgId'>;
  client(id: number): ClientDetails | undefined;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Delivery status flows back: a status event (carrier callback or a failure the gateway
 * decided) updates the sender's record and goes to the sender's egress — a status webhook for
 * a web client, an SMPP delivery receipt or MM4 delivery report for a legacy client.
 */
export class StatusRouter {
  #consumer?: Consumer;

  constructor(
    private readonly options: StatusRouterOptions,
    private readonly deps: StatusRouterDeps,
  ) {}

  async start(): Promise<void> {
    const s = this.options.subjects;
    this.#consumer = await this.deps.bus.consume(
      {
        stream: s.streams.status,
        durable: 'status-router',
        filterSubject: s.statusAll,
        ackWaitMs: 30_000,
        maxAckPending: 2048,
        maxDeliver: maxDeliverFor(this.options.maxDeliver, UNKNOWN_ID_RETRIES),
        deadLetterSubject: s.deadLetter(s.streams.status),
      },
      (msg) => this.handle(msg),
      { concurrency: this.options.concurrency ?? 64 },
    );
  }

  async stop(): Promise<void> {
    await this.#consumer?.stop();
  }

  async handle(msg: DurableMsg): Promise<Outcome> {
    let event: StatusEvent;
    try {
      event = statusCodec.decode(msg.data);
    } catch (err) {
      this.deps.logger.error({ err }, 'dropping an undecodable status event');
      return term('undecodable');
    }
    try {
      const leg = await this.findLeg(event);
      if (!leg) {
        if (msg.deliveryCount <= UNKNOWN_ID_RETRIES) return retry(UNKNOWN_ID_DELAY_MS);
        this.deps.logger.warn({ event }, 'status for a message the gateway does not know');
        return term('unknown message');
      }
      const full = this.complete(event, leg);
      await this.deps.records.write({ ...leg, status: full.status, carrierMsgId: full.carrierMsgId ?? '', error: full.errorText ?? '' });
      // A receiver's report on a message a carrier sent (an MMSC's MM4_forward.RES or delivery
      // report): recorded on its leg; a carrier takes no reports from us, so nobody is told.
      if (leg.direction === 'outbound') await this.forward(full, leg.type);
      this.deps.metrics.statusEvents.inc({ status: full.status });
      return ack;
    } catch (err) {
      this.deps.logger.warn({ err, event }, 'status routing failed; will retry');
      return retry(RETRY_DELAY_MS);
    }
  }

  /**
   * The sender's outbound leg: by our id, or by the carrier's id from a callback. A message that
   * came from a carrier has no outbound leg: its receiver's inbound leg is the one to update.
   */
  private async findLeg(event: StatusEvent): Promise<StoredRecord | undefined> {
    if (event.messageId) {
      const legs = await this.deps.recordRepo.byMessageId(event.messageId);
      const outbound = legs.find((l) => l.direction === 'outbound' && (!event.clientId || l.clientId === event.clientId));
      if (outbound || event.clientId) return outbound;
      return legs.find((l) => l.direction === 'inbound' && l.fromClientType === 'carrier');
    }
    if (event.carrierId && event.carrierMsgId) {
      return this.deps.recordRepo.byCarrierMsgId(event.carrierId, event.carrierMsgId);
    }
    return undefined;
  }

  private complete(event: StatusEvent, leg: StoredRecord): StatusEvent {
    return {
      ...event,
      messageId: leg.messageId,
      clientId: leg.clientId,
      from: event.from || leg.from,
      to: event.to || leg.to,
      carrierId: event.carrierId ?? (leg.carrierId || undefined),
      carrierMsgId: event.carrierMsgId ?? (leg.carrierMsgId || undefined),
      submittedAt: event.submittedAt ?? leg.receivedTimestamp.getTime(),
      // What an SMPP receipt needs: is one due, for which part ids, quoting what.
      registeredDelivery: event.registeredDelivery ?? leg.registeredDelivery,
      partIds: event.partIds ?? (leg.smppPartIds.length > 0 ? leg.smppPartIds : undefined),
      textPreview: event.textPreview ?? leg.textPreview,
    };
  }

  private async forward(event: StatusEvent, type: 'sms' | 'mms'): Promise<void> {
    const client = event.clientId ? this.deps.client(event.clientId) : undefined;
    if (client) await forwardStatus(event, client, type, this.options.subjects, this.deps.bus);
  }
}
