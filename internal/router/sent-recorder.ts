import { sentRecordCodec, type SentRecord } from '../../proto/sent-record.js';
import type { Subjects } from '../../proto/subjects.js';
import { ack, retry, type Bus, type Outcome } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import { legsFor, type LegContext, type RecordWriter } from '../records/index.js';
import { isPermanentDataError, type ClientDetails } from '../store/index.js';
import { reportDelivered } from './delivered.js';

export type { SentRecord } from '../../proto/sent-record.js';

/**
 * Sends remembered here whose record could be neither written nor handed to the ledger repair
 * (database and bus both down): enough for a carrier's in-flight window many times over, small
 * enough (a routed message each) to be no memory risk.
 */
export const DEFAULT_MAX_REMEMBERED = 10_000;
/** A job whose send is remembered here comes back this soon to try recording it again. */
export const REMEMBERED_RETRY_MS = 2_000;
/** During an outage every send hands over: one log line a second says how many did. */
const HANDOVER_LOG_INTERVAL_MS = 1_000;

export interface SentRecorderOptions {
  subjects: Subjects;
  maxRemembered?: number;
}

/** What recording a send needs: the ledger, and the bus and clients to tell a sender 'delivered'. */
export interface RecordSentDeps {
  bus: Pick<Bus, 'publishDurable'>;
  records: RecordWriter;
  legs: LegContext;
  client(id: number): ClientDetails | undefined;
}

export interface SentRecorderDeps extends RecordSentDeps {
  logger: Logger;
}

/**
 * What every egress worker does after a send that succeeded: store its legs (and, for SMPP and
 * MM4, publish the 'delivered' status). The happy path is that write and nothing more. When it
 * fails, the send is never repeated: the record goes to the ledger repair stream (any node's
 * LedgerRepair writes it once the database is back) and the job is acked; when even that publish
 * fails, the node remembers the send and asks for the job back, and the worker, seeing
 * sentHere(), records instead of sending again.
 */
export class SentRecorder {
  /** message id -> the record of its send, oldest first (a Map keeps insertion order). */
  readonly #remembered = new Map<string, SentRecord>();
  #handedOver = 0;
  #handoverLoggedAt = 0;

  constructor(
    private readonly options: SentRecorderOptions,
    private readonly deps: SentRecorderDeps,
  ) {}

  /** Records a send that succeeded; never throws, and never returns an outcome that resends. */
  async recorded(sent: SentRecord): Promise<Outcome> {
    const id = sent.egress.message.id;
    try {
      await recordSent(sent, this.options.subjects, this.deps);
      this.#remembered.delete(id);
      return ack;
    } catch (err) {
      if (isPermanentDataError(err)) {
        this.#remembered.delete(id);
        this.deps.logger.error({ err, id }, 'the ledger refused the record of a sent message; it is not sent again');
        return ack;
      }
      return this.handOver(sent, err);
    }
  }

  /** The record of a send this node made whose job came back before the record was stored. */
  sentHere(messageId: string): SentRecord | undefined {
    return this.#remembered.get(messageId);
  }

  private async handOver(sent: SentRecord, cause: unknown): Promise<Outcome> {
    const id = sent.egress.message.id;
    try {
      await this.deps.bus.publishDurable(this.options.subjects.ledgerRepair, sentRecordCodec.encode(sent), {
        msgId: `${id}:ledger:${sent.status}`,
      });
      this.#remembered.delete(id);
      this.logHandover(cause, id);
      return ack;
    } catch (err) {
      this.remember(id, sent);
      this.deps.logger.error({ err, cause, id }, 'record of a sent message kept in memory: database and bus unavailable');
      return retry(REMEMBERED_RETRY_MS);
    }
  }

  private logHandover(cause: unknown, id: string): void {
    this.#handedOver += 1;
    const now = Date.now();
    if (now - this.#handoverLoggedAt < HANDOVER_LOG_INTERVAL_MS) return;
    this.deps.logger.warn({ err: cause, id, count: this.#handedOver }, 'records of sent messages handed to the ledger repair');
    this.#handedOver = 0;
    this.#handoverLoggedAt = now;
  }

  private remember(id: string, sent: SentRecord): void {
    this.#remembered.delete(id);
    this.#remembered.set(id, sent);
    const max = this.options.maxRemembered ?? DEFAULT_MAX_REMEMBERED;
    for (const oldest of this.#remembered.keys()) {
      if (this.#remembered.size <= max) break;
      this.#remembered.delete(oldest);
      this.deps.logger.error({ id: oldest }, 'forgot the record of a sent message (memory full): a redelivery would send it again');
    }
  }
}

/** Stores a sent message's legs, then tells its sender 'delivered' when asked (idempotent: upsert, dedup id). */
export async function recordSent(sent: SentRecord, subjects: Subjects, deps: RecordSentDeps): Promise<void> {
  await deps.records.write(...legsFor(sent.egress, deps.legs, sent.status, { carrierMsgId: sent.carrierMsgId }));
  if (sent.reportDelivered) await reportDelivered(sent.egress, subjects, deps);
}
