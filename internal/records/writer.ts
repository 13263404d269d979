import type { MessageRecord, RecordRepo } from '../store/index.js';

/** A batch goes out when it has this many legs... */
export const DEFAULT_MAX_BATCH = 500;
/** ...or when its first leg has waited this long (bounds the latency added to each handler). */
export const DEFAULT_FLUSH_MS = 10;

export interface RecordWriterOptions {
  maxBatch?: number;
  flushMs?: number;
}

interface Pending {
  records: MessageRecord[];
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Writes ledger legs in batches: many concurrent handlers each await `write()`, and their legs
 * share one multi-row upsert, so the hot path never pays one database round trip per message
 * yet a handler only acks its bus message once its legs are stored.
 */
export class RecordWriter {
  #pending?: Pending;
  #timer?: NodeJS.Timeout;
  #inFlight = new Set<Promise<void>>();
  #stopped = false;

  constructor(
    private readonly repo: RecordRepo,
    private readonly options: RecordWriterOptions = {},
  ) {}

  /** Resolves once `records` are stored; rejects when their batch failed (the caller retries). */
  write(...records: MessageRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.#stopped) return this.repo.upsertMany(records);
    const batch = this.#pending ?? this.open();
    batch.records.push(...records);
    if (batch.records.length >= (this.options.maxBatch ?? DEFAULT_MAX_BATCH)) this.flush();
    return batch.done;
  }

  /** Writes what is buffered and waits for every batch in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.flush();
    await Promise.allSettled([...this.#inFlight]);
  }

  private open(): Pending {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    // A batch nobody awaits any more must not become an unhandled rejection.
    done.catch(() => undefined);
    this.#pending = { records: [], done, resolve, reject };
    this.#timer = setTimeout(() => this.flush(), this.options.flushMs ?? DEFAULT_FLUSH_MS);
    return this.#pending;
  }

  private flush(): void {
    clearTimeout(this.#timer);
    const batch = this.#pending;
    this.#pending = undefined;
    if (!batch) return;
    const run = this.repo.upsertMany(batch.records).then(batch.resolve, batch.reject);
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }
}
