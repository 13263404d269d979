import { deadLetterCodec, deadLetterPayload, type DeadLetter } from '../../proto/dead-letter.js';
import type { Subjects } from '../../proto/subjects.js';
import { NotFoundError, ValidationError } from '../errors/index.js';
import type { DurableBus } from './durable-types.js';

/** Most dead letters one list or batch replay returns: each is one round trip to the server. */
export const MAX_DEAD_LETTER_PAGE = 100;

/** One dead letter as stored: where it sits in the dead-letter stream, and its envelope. */
export interface DeadLetterEntry {
  /** Its sequence in the dead-letter stream (the id the admin API uses). */
  seq: number;
  /** Epoch ms when the dead-letter stream stored it. */
  storedAt: number;
  letter: DeadLetter;
}

export interface DeadLetterPage {
  items: DeadLetterEntry[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: number;
}

export interface ReplayResult {
  seq: number;
  /** The original subject it went back to, and its new sequence in the original stream. */
  subject: string;
  streamSeq: number;
}

/**
 * The operator's view of the dead-letter stream (list, show, replay, delete), over any
 * DurableBus. Replay publishes the original payload to its original subject with a fresh dedup
 * id (`replay:<dead-letter seq>`: the original id would be dropped inside the duplicate
 * window, and a replay repeated within the window still enters once), then removes the letter.
 */
export class DeadLetterStore {
  constructor(
    private readonly bus: DurableBus,
    private readonly subjects: Subjects,
  ) {}

  /**
   * Dead letters after sequence `after`, oldest first, at most `limit` (≤ MAX_DEAD_LETTER_PAGE),
   * only those given up from `stream` when set (a stream name or its stage: `carrier`).
   */
  async list(opts: { stream?: string; after?: number; limit?: number } = {}): Promise<DeadLetterPage> {
    const limit = Math.min(Math.max(1, opts.limit ?? MAX_DEAD_LETTER_PAGE), MAX_DEAD_LETTER_PAGE);
    const filter = opts.stream === undefined ? this.subjects.deadLetterAll : this.subjects.deadLetter(this.streamName(opts.stream));
    const items: DeadLetterEntry[] = [];
    let from = (opts.after ?? 0) + 1;
    while (items.length < limit) {
      const m = await this.bus.readMessage(this.subjects.streams.deadLetter, from, filter);
      if (!m) return { items };
      from = m.seq + 1;
      const letter = this.decode(m.data);
      if (letter) items.push({ seq: m.seq, storedAt: m.storedAt, letter });
    }
    const more = await this.bus.readMessage(this.subjects.streams.deadLetter, from, filter);
    return more ? { items, next: items[items.length - 1]!.seq } : { items };
  }

  /** The dead letter at `seq`; NotFoundError when there is none. */
  async get(seq: number): Promise<DeadLetterEntry> {
    const m = await this.bus.readMessage(this.subjects.streams.deadLetter, seq, this.subjects.deadLetterAll);
    const letter = m && m.seq === seq ? this.decode(m.data) : undefined;
    if (!m || !letter) throw new NotFoundError('Dead letter not found');
    return { seq, storedAt: m.storedAt, letter };
  }

  /** Sends the letter's message back to its original subject, then removes the letter. */
  async replay(seq: number): Promise<ReplayResult> {
    const { letter } = await this.get(seq);
    const ack = await this.bus.publishDurable(letter.subject, deadLetterPayload(letter), {
      msgId: `replay:${this.subjects.streams.deadLetter}:${seq}`,
    });
    await this.bus.deleteMessage(this.subjects.streams.deadLetter, seq);
    return { seq, subject: letter.subject, streamSeq: ack.seq };
  }

  /** Removes a dead letter for good; NotFoundError when there is none. */
  async delete(seq: number): Promise<void> {
    if (!(await this.bus.deleteMessage(this.subjects.streams.deadLetter, seq))) throw new NotFoundError('Dead letter not found');
  }

  /** A stream name, or a stage name (`carrier`) for its stream; ValidationError for neither. */
  private streamName(given: string): string {
    const streams: Record<string, string> = { ...this.subjects.streams };
    const name = streams[given] ?? Object.values(streams).find((s) => s === given);
    if (!name || name === this.subjects.streams.deadLetter) {
      throw new ValidationError(
        `stream must be one of ${Object.keys(streams)
          .filter((k) => k !== 'deadLetter')
          .join(', ')} (or its stream name)`,
      );
    }
    return name;
  }

  /** A letter this version cannot read is skipped, not fatal to the listing. */
  private decode(data: Uint8Array): DeadLetter | undefined {
    try {
      return deadLetterCodec.decode(data);
    } catch {
      return undefined;
    }
  }
}
