import { ConflictError, ValidationError } from '../errors/index.js';
import { DEFAULT_DUPLICATE_WINDOW_MS, type PublishAck, type Retention, type StreamSpec } from './durable-types.js';
import { assertName, assertSubscribeSubject, subjectMatches } from './subject.js';

export interface StoredMsg {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  /** Epoch ms when stored. */
  readonly at: number;
}

/** A stream spec with its defaults applied, as both implementations store it. */
export interface NormalizedStreamSpec {
  name: string;
  subjects: string[];
  retention: Retention;
  maxAgeMs: number;
  maxBytes: number;
  duplicateWindowMs: number;
  storage: 'file' | 'memory';
}

/**
 * Validates a spec and applies defaults. A dedup window longer than maxAgeMs is cut to it, as
 * nats-server requires (a message cannot be remembered longer than it is kept).
 */
export function normalizeStreamSpec(spec: StreamSpec): NormalizedStreamSpec {
  assertName(spec.name, 'stream');
  if (spec.subjects.length === 0) throw new ValidationError(`stream ${spec.name} needs at least one subject`);
  spec.subjects.forEach(assertSubscribeSubject);
  const maxAgeMs = spec.maxAgeMs ?? 0;
  const maxBytes = spec.maxBytes ?? 0;
  if (maxAgeMs < 0 || maxBytes < 0 || (spec.duplicateWindowMs ?? 0) < 0) throw new ValidationError(`stream ${spec.name}: negative limit`);
  let duplicateWindowMs = spec.duplicateWindowMs || DEFAULT_DUPLICATE_WINDOW_MS;
  if (maxAgeMs > 0) duplicateWindowMs = Math.min(duplicateWindowMs, maxAgeMs);
  return {
    name: spec.name,
    subjects: [...spec.subjects],
    retention: spec.retention,
    maxAgeMs,
    maxBytes,
    duplicateWindowMs,
    storage: spec.storage ?? 'file',
  };
}

/**
 * One in-process stream: an ordered log by sequence, a dedup window by msgId, age limits, and
 * removal of acked messages when it is a workqueue. Ages are enforced lazily (on every read
 * and write), so a stream needs no timers.
 */
export class MemoryStream {
  spec: NormalizedStreamSpec;
  /** `#log[i]` holds sequence `#firstSeq + i`; removed messages leave holes until the head moves. */
  #log: Array<StoredMsg | undefined> = [];
  #firstSeq = 1;
  /** Index in `#log` before which every slot is a hole. */
  #head = 0;
  #lastSeq = 0;
  #count = 0;
  /** Payload bytes of the messages stored (for maxBytes). */
  #bytes = 0;
  /** msgId → sequence and time, in insertion (= time) order. */
  readonly #dedup = new Map<string, { seq: number; at: number }>();

  constructor(spec: NormalizedStreamSpec) {
    this.spec = spec;
  }

  /** Applies a new spec to an existing stream: subjects and limits may change. */
  update(spec: NormalizedStreamSpec): void {
    if (spec.retention !== this.spec.retention || spec.storage !== this.spec.storage) {
      throw new ConflictError(`stream ${spec.name} exists with retention ${this.spec.retention}/${this.spec.storage}; it cannot change`);
    }
    this.spec = spec;
  }

  stores(subject: string): boolean {
    return this.spec.subjects.some((p) => subjectMatches(p, subject));
  }

  store(subject: string, data: Uint8Array, msgId: string | undefined, now = Date.now()): PublishAck {
    this.#prune(now);
    if (msgId !== undefined) {
      const seen = this.#dedup.get(msgId);
      if (seen) return { stream: this.spec.name, seq: seen.seq, duplicate: true };
    }
    const seq = ++this.#lastSeq;
    if (this.#count === 0) {
      this.#log = [];
      this.#head = 0;
      this.#firstSeq = seq;
    }
    this.#log.push({ seq, subject, data: data.slice(), at: now });
    this.#count++;
    this.#bytes += data.length;
    this.#discardOld();
    if (msgId !== undefined) this.#dedup.set(msgId, { seq, at: now });
    return { stream: this.spec.name, seq, duplicate: false };
  }

  /** The message at `seq`, unless removed or aged out. */
  get(seq: number, now = Date.now()): StoredMsg | undefined {
    this.#prune(now);
    return this.#log[seq - this.#firstSeq];
  }

  /** The first stored message after `cursor` whose subject matches `filter`. */
  nextAfter(cursor: number, filter: string, now = Date.now()): StoredMsg | undefined {
    this.#prune(now);
    for (let i = Math.max(this.#head, cursor + 1 - this.#firstSeq); i < this.#log.length; i++) {
      const m = this.#log[i];
      if (m && subjectMatches(filter, m.subject)) return m;
    }
    return undefined;
  }

  /** The highest sequence ever stored. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  remove(seq: number): void {
    const i = seq - this.#firstSeq;
    const m = i < 0 ? undefined : this.#log[i];
    if (!m) return;
    this.#log[i] = undefined;
    this.#count--;
    this.#bytes -= m.data.length;
    this.#compact();
  }

  /** Over maxBytes: drops the oldest messages, as JetStream's discard-old policy does. */
  #discardOld(): void {
    const { maxBytes } = this.spec;
    if (maxBytes <= 0) return;
    for (let i = this.#head; i < this.#log.length && this.#bytes > maxBytes && this.#count > 1; i++) {
      const m = this.#log[i];
      if (!m) continue;
      this.#log[i] = undefined;
      this.#count--;
      this.#bytes -= m.data.length;
    }
    this.#compact();
  }

  count(filter?: string, now = Date.now()): number {
    this.#prune(now);
    if (filter === undefined) return this.#count;
    let n = 0;
    for (let i = this.#head; i < this.#log.length; i++) {
      const m = this.#log[i];
      if (m && subjectMatches(filter, m.subject)) n++;
    }
    return n;
  }

  /** Messages stored per subject matching `filter`. */
  subjectCounts(filter: string, now = Date.now()): Record<string, number> {
    this.#prune(now);
    const counts: Record<string, number> = {};
    for (let i = this.#head; i < this.#log.length; i++) {
      const m = this.#log[i];
      if (m && subjectMatches(filter, m.subject)) counts[m.subject] = (counts[m.subject] ?? 0) + 1;
    }
    return counts;
  }

  /** Messages after sequence `cursor` whose subject matches `filter`. */
  countAfter(cursor: number, filter: string, now = Date.now()): number {
    this.#prune(now);
    let n = 0;
    for (let i = Math.max(this.#head, cursor + 1 - this.#firstSeq); i < this.#log.length; i++) {
      const m = this.#log[i];
      if (m && subjectMatches(filter, m.subject)) n++;
    }
    return n;
  }

  /** Drops aged-out messages (the log is in time order, so only from the head) and old msgIds. */
  #prune(now: number): void {
    const { maxAgeMs, duplicateWindowMs } = this.spec;
    if (maxAgeMs > 0) {
      let i = this.#head;
      for (; i < this.#log.length; i++) {
        const m = this.#log[i];
        if (!m) continue;
        if (now - m.at < maxAgeMs) break;
        this.#log[i] = undefined;
        this.#count--;
        this.#bytes -= m.data.length;
      }
      if (i > this.#head) this.#compact();
    }
    for (const [id, seen] of this.#dedup) {
      if (now - seen.at < duplicateWindowMs) break;
      this.#dedup.delete(id);
    }
  }

  /** Moves the head past holes; reclaims the array once the holes are most of it. */
  #compact(): void {
    while (this.#head < this.#log.length && this.#log[this.#head] === undefined) this.#head++;
    if (this.#head === this.#log.length) {
      this.#log = [];
      this.#head = 0;
      this.#firstSeq = this.#lastSeq + 1;
      return;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#log.length) {
      this.#log = this.#log.slice(this.#head);
      this.#firstSeq += this.#head;
      this.#head = 0;
    }
  }
}
