import { sentRecordCodec, type SentRecord } from '../../proto/sent-record.js';
import type { Subjects } from '../../proto/subjects.js';
import { ack, backoffDelay, retry, term, type Bus, type Consumer, type DurableMsg, type Outcome } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import { isPermanentDataError } from '../store/index.js';
import { recordSent, type RecordSentDeps } from './sent-recorder.js';

/**
 * First wait before writing a record again while the database is down; doubles up to the max.
 * The max stays short: a carrier's status callback waits ~16 s for the leg it updates
 * (status-router.ts), so the record should land within seconds of the database's return.
 */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 5_000;
/** While the database is down, one log line this often says how many records wait. */
const RETRY_LOG_INTERVAL_MS = 10_000;
/** Records written at once per node (each is one small batched ledger write). */
const CONCURRENCY = 16;

export interface LedgerRepairOptions {
  subjects: Subjects;
}

export interface LedgerRepairDeps extends RecordSentDeps {
  bus: Bus;
  logger: Logger;
}

/**
 * The ledger repair, on every node: writes the records of sends that succeeded while the
 * database was unavailable (SentRecorder hands them over). It waits out an outage with backoff,
 * for as long as it lasts, and gives up only on a record the database refuses for its data.
 */
export class LedgerRepair {
  #consumer?: Consumer;
  #retryLoggedAt = 0;

  constructor(
    private readonly options: LedgerRepairOptions,
    private readonly deps: LedgerRepairDeps,
  ) {}

  async start(): Promise<void> {
    const s = this.options.subjects;
    this.#consumer = await this.deps.bus.consume(
      { stream: s.streams.ledger, durable: 'ledger-repair', filterSubject: s.ledgerRepair, ackWaitMs: 60_000 },
      (msg) => this.handle(msg),
      { concurrency: CONCURRENCY },
    );
  }

  async stop(): Promise<void> {
    await this.#consumer?.stop();
  }

  async handle(msg: DurableMsg): Promise<Outcome> {
    let sent: SentRecord;
    try {
      sent = sentRecordCodec.decode(msg.data);
    } catch (err) {
      this.deps.logger.error({ err }, 'ledger repair: dropping an undecodable record');
      return term('undecodable');
    }
    try {
      await recordSent(sent, this.options.subjects, this.deps);
      return ack;
    } catch (err) {
      const id = sent.egress.message.id;
      if (isPermanentDataError(err)) {
        this.deps.logger.error({ err, id }, 'ledger repair: the database refused the record of a sent message');
        return term('refused by the database');
      }
      this.logRetry(err, id, msg.deliveryCount);
      return retry(backoffDelay(msg.deliveryCount, FIRST_RETRY_MS, MAX_RETRY_MS));
    }
  }

  private logRetry(err: unknown, id: string, attempt: number): void {
    const now = Date.now();
    if (now - this.#retryLoggedAt < RETRY_LOG_INTERVAL_MS) return;
    this.#retryLoggedAt = now;
    this.deps.logger.warn({ err, id, attempt }, 'ledger repair: the database is unavailable; will retry');
  }
}
