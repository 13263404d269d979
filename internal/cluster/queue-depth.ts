import type { Subjects } from '../../proto/subjects.js';
import { NotFoundError } from '../errors/index.js';
import type { DurableBus } from '../bus/index.js';
import type { QueueSnapshot } from '../metrics/index.js';

export interface QueueDepthDeps {
  bus: Pick<DurableBus, 'streamState' | 'subjectCounts'>;
  /** Client usernames for the per-client queues. */
  clients: { client(id: number): { username: string } | undefined };
}

type StageKey = keyof Subjects['streams'];

/** The egresses whose subjects end in a client id: one queue per client. */
const CLIENT_QUEUES = { smpp: 'msgOutSmppAll', mm4: 'msgOutMm4All', webhook: 'msgOutWebhookAll' } as const;

/**
 * Reads the bus's queues for the metrics (msggw_stream_messages, msggw_consumer_*,
 * msggw_client_queue_messages, msggw_dead_letters_stored): a stream and consumer info per
 * stage, and one per-subject count for each client queue and the dead letters. A stage whose
 * stream is missing is left out; any other failure fails the reading (msggw_queue_stats_up 0).
 */
export async function readQueues(s: Subjects, deps: QueueDepthDeps): Promise<QueueSnapshot> {
  const snapshot: QueueSnapshot = { streams: [], consumers: [], clients: [], deadLetters: [] };
  for (const [key, name] of Object.entries(s.streams) as Array<[StageKey, string]>) {
    const state = await orMissing(deps.bus.streamState(name));
    if (!state) continue;
    const stream = stageLabel(key);
    snapshot.streams.push({ stream, messages: state.messages });
    for (const c of state.consumers) {
      snapshot.consumers.push({
        stream,
        consumer: c.durable,
        pending: c.pending,
        ackPending: c.ackPending,
        redelivered: c.redelivered,
        ackFloor: c.ackFloor,
      });
    }
  }
  for (const [protocol, all] of Object.entries(CLIENT_QUEUES) as Array<
    [keyof typeof CLIENT_QUEUES, (typeof CLIENT_QUEUES)[keyof typeof CLIENT_QUEUES]]
  >) {
    const counts = await orMissing(deps.bus.subjectCounts(s.streams[protocol], s[all]));
    for (const [subject, messages] of Object.entries(counts ?? {})) {
      snapshot.clients.push({ protocol, client: clientLabel(subject, deps.clients), messages });
    }
  }
  const letters = await orMissing(deps.bus.subjectCounts(s.streams.deadLetter, s.deadLetterAll));
  const stageOf = new Map(
    (Object.entries(s.streams) as Array<[StageKey, string]>).map(([key, name]) => [s.deadLetter(name), stageLabel(key)]),
  );
  for (const [subject, messages] of Object.entries(letters ?? {})) {
    snapshot.deadLetters.push({ stream: stageOf.get(subject) ?? 'other', messages });
  }
  return snapshot;
}

/** Lower-case label of a stage: `deadLetter` → `dead_letter`. */
function stageLabel(key: StageKey): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The username of the client whose id ends the subject; `id:<n>` for a client since deleted. */
function clientLabel(subject: string, clients: QueueDepthDeps['clients']): string {
  const id = Number(subject.slice(subject.lastIndexOf('.') + 1));
  return clients.client(id)?.username ?? `id:${id}`;
}

async function orMissing<T>(reading: Promise<T>): Promise<T | undefined> {
  try {
    return await reading;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
