import type { Subjects } from '../../proto/subjects.js';
import type { DurableBus, StreamSpec } from '../bus/index.js';

/** Messages for an offline SMPP/MM4 client wait this long by default (SMPP 3.4 validity is often 48 h). */
export const DEFAULT_CLIENT_QUEUE_MAX_AGE_MS = 72 * 3600_000;
/**
 * The SMPP stream keeps messages this many times the client queue's max age. JetStream's
 * max_age deletes without telling anyone, so it is only a backstop: the SMPP egress, and its
 * leased sweeper for clients bound nowhere, report a message expired to its sender once it is
 * older than the queue's max age (docs/decisions.md, issue 4).
 */
export const SMPP_STREAM_AGE_FACTOR = 2;
/** JetStream's default dedup window, long enough for any ingress retry. */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;

export interface StreamOptions {
  /** Bound on how long messages wait for an offline legacy client. */
  clientQueueMaxAgeMs?: number;
}

/**
 * The durable topology every node relies on: one work-queue stream per stage. Each node ensures
 * it at start (idempotent, safe when several start at once).
 */
export function streamSpecs(s: Subjects, options: StreamOptions = {}): StreamSpec[] {
  const clientAge = options.clientQueueMaxAgeMs ?? DEFAULT_CLIENT_QUEUE_MAX_AGE_MS;
  const spec = (name: string, subjects: string[], maxAgeMs = 0): StreamSpec =>
    ({ name, subjects, retention: 'workqueue', maxAgeMs, duplicateWindowMs: DUPLICATE_WINDOW_MS });
  return [
    spec(s.streams.in, [s.msgInAll]),
    spec(s.streams.carrier, [s.msgOutCarrierAll]),
    spec(s.streams.webhook, [s.msgOutWebhookAll]),
    spec(s.streams.smpp, [s.msgOutSmppAll], clientAge * SMPP_STREAM_AGE_FACTOR),
    spec(s.streams.mm4, [s.msgOutMm4All], clientAge),
    spec(s.streams.status, [s.statusAll]),
    spec(s.streams.media, [s.mediaTranscode]),
    // No max age: a record of a send that succeeded waits as long as the database is down.
    spec(s.streams.ledger, [s.ledgerRepair]),
  ];
}

export async function ensureStreams(bus: DurableBus, s: Subjects, options?: StreamOptions): Promise<void> {
  for (const spec of streamSpecs(s, options)) await bus.ensureStream(spec);
}
