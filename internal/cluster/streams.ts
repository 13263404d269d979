import type { Subjects } from '../../proto/subjects.js';
import type { DurableBus, StreamSpec } from '../bus/index.js';

/** Messages for an offline SMPP/MM4 client wait this long by default (SMPP 3.4 validity is often 48 h). */
export const DEFAULT_CLIENT_QUEUE_MAX_AGE_MS = 72 * 3600_000;
/**
 * The SMPP stream keeps messages this many times the client queue's max age. JetStream's
 * max_age deletes without telling anyone, so it is only a backstop: the SMPP egress, and its
 * leased sweeper for clients bound nowhere, report a message expired to its sender once it is
 * older than the queue's max age (docs/decisions.md).
 */
export const SMPP_STREAM_AGE_FACTOR = 2;
/** JetStream's default dedup window, long enough for any ingress retry. */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;
/**
 * Backstop age of the stages that hold no client queue (ingress, carrier, webhook, status,
 * media): a message waits there only while its stage is down (a carrier with no leader, say),
 * and maxDeliver dead-letters poison long before. A week outlasts any outage worth waiting for.
 */
export const DEFAULT_STAGE_MAX_AGE_MS = 7 * 24 * 3600_000;
/** Dead letters are kept two weeks for an operator to look at and replay. */
export const DEFAULT_DEAD_LETTER_MAX_AGE_MS = 14 * 24 * 3600_000;
/** And at most 1 GiB of them (the oldest go first): a flood of poison cannot fill the disk. */
export const DEFAULT_DEAD_LETTER_MAX_BYTES = 1024 ** 3;

export interface StreamOptions {
  /** Bound on how long messages wait for an offline legacy client. */
  clientQueueMaxAgeMs?: number;
  /** Backstop age of the other stages (DEFAULT_STAGE_MAX_AGE_MS). */
  stageMaxAgeMs?: number;
  deadLetterMaxAgeMs?: number;
  deadLetterMaxBytes?: number;
}

/**
 * The durable topology every node relies on: one work-queue stream per stage. Each node ensures
 * it at start (idempotent, safe when several start at once).
 */
export function streamSpecs(s: Subjects, options: StreamOptions = {}): StreamSpec[] {
  const clientAge = options.clientQueueMaxAgeMs ?? DEFAULT_CLIENT_QUEUE_MAX_AGE_MS;
  const stageAge = options.stageMaxAgeMs ?? DEFAULT_STAGE_MAX_AGE_MS;
  const spec = (name: string, subjects: string[], maxAgeMs: number): StreamSpec => ({
    name,
    subjects,
    retention: 'workqueue',
    maxAgeMs,
    duplicateWindowMs: DUPLICATE_WINDOW_MS,
  });
  return [
    spec(s.streams.in, [s.msgInAll], stageAge),
    spec(s.streams.carrier, [s.msgOutCarrierAll], stageAge),
    spec(s.streams.webhook, [s.msgOutWebhookAll], stageAge),
    spec(s.streams.smpp, [s.msgOutSmppAll], clientAge * SMPP_STREAM_AGE_FACTOR),
    spec(s.streams.mm4, [s.msgOutMm4All], clientAge),
    spec(s.streams.status, [s.statusAll], stageAge),
    spec(s.streams.media, [s.mediaTranscode], stageAge),
    // No max age: a record of a send that succeeded waits as long as the database is down.
    spec(s.streams.ledger, [s.ledgerRepair], 0),
    // A batch waits for a worker as long as any stage's message would.
    spec(s.streams.batch, [s.batchRun], stageAge),
    // Limits retention: dead letters stay (to be listed, reported and replayed) until deleted or aged out.
    {
      name: s.streams.deadLetter,
      subjects: [s.deadLetterAll],
      retention: 'limits',
      maxAgeMs: options.deadLetterMaxAgeMs ?? DEFAULT_DEAD_LETTER_MAX_AGE_MS,
      maxBytes: options.deadLetterMaxBytes ?? DEFAULT_DEAD_LETTER_MAX_BYTES,
      duplicateWindowMs: DUPLICATE_WINDOW_MS,
    },
  ];
}

export async function ensureStreams(bus: DurableBus, s: Subjects, options?: StreamOptions): Promise<void> {
  for (const spec of streamSpecs(s, options)) await bus.ensureStream(spec);
}
