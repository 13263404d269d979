import { UnavailableError } from '../errors/index.js';
import { isPermanentDataError, legKey, type MessageRecord, type RecordRepo } from '../store/index.js';

/** A batch goes out when it has this many legs... */
export const DEFAULT_MAX_BATCH = 500;
/** ...or when its first leg has waited this long (bounds the latency added to each handler). */
export const DEFAULT_FLUSH_MS = 10;
/**
 * How long hold() keeps a leg back for a later state of it to replace: longer than a message
 * usually takes from routing to its carrier's answer, short enough for history to look live.
 */
export const DEFAULT_HOLD_MS = 250;
/**
 * A batch not stored within this long fails its callers (the write may still land later; upserts
 * are idempotent). Well inside every egress consumer's ack wait after its send's own timeout, so
 * a slow database makes a worker hand its record over rather than see its job redelivered mid-write.
 */
export const DEFAULT_WRITE_TIMEOUT_MS = 5_000;

export interface RecordWriterOptions {
  maxBatch?: number;
  flushMs?: number;
  holdMs?: number;
  /** 0 = no limit. Default DEFAULT_WRITE_TIMEOUT_MS. */
  writeTimeoutMs?: number;
}

/** What a failed batch left each caller: the error of caller `i` (its index in the batch), or none. */
type Failures = (caller: number) => unknown;

interface Pending {
  records: MessageRecord[];
  /** Where each caller's legs end in `records`, in the order the callers came. */
  ends: number[];
  /** Resolves with undefined when the batch was stored, else with each caller's failure. */
  done: Promise<Failures | undefined>;
  settle: (failures: Failures | undefined) => void;
}

/** A new hold window opens this often, so every leg is held between 4/5 and all of holdMs. */
const HOLD_WINDOWS = 5;

/** Legs held back together, released as one write when their hold ends. */
interface HoldWindow {
  openedAt: number;
  keys: string[];
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * Writes ledger legs in batches: many concurrent handlers each await `write()`, and their legs
 * share one multi-row upsert, so the hot path never pays one database round trip per message
 * yet a handler only acks its bus message once its legs are stored.
 *
 * `hold()` is for a leg that a later stage will most likely write again soon (the queued leg of
 * a routed message, which its delivery worker writes as sent): it waits up to holdMs, and a
 * write() of the same leg meanwhile takes it into its own batch, where the repo merges the two
 * into one row. So a message costs one ledger row write, not two, whenever its delivery is quick.
 */
export class RecordWriter {
  #pending?: Pending;
  #timer?: NodeJS.Timeout;
  #inFlight = new Set<Promise<void>>();
  #stopped = false;
  /** Held legs by leg key; a window releases those of its keys still here. */
  readonly #held = new Map<string, MessageRecord>();
  #holding?: HoldWindow;
  readonly #windows = new Set<HoldWindow>();

  constructor(
    private readonly repo: RecordRepo,
    private readonly options: RecordWriterOptions = {},
  ) {}

  /**
   * Resolves once `records` are stored; rejects when they could not be (the caller retries).
   * A batch the database refused for its data is retried caller by caller, so only the write
   * holding the bad value fails, not the others batched with it.
   */
  write(...records: MessageRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const held = this.#held.size > 0 ? this.takeHeld(records) : [];
    if (this.#stopped) return this.repo.upsertMany([...held, ...records]);
    const batch = this.#pending ?? this.open();
    // Held legs go first: on a tie of status the later write's fields win the merge.
    batch.records.push(...held, ...records);
    const caller = batch.ends.push(batch.records.length) - 1;
    if (batch.records.length >= (this.options.maxBatch ?? DEFAULT_MAX_BATCH)) this.flush();
    return batch.done.then((failures) => {
      const err = failures?.(caller);
      if (err !== undefined) throw err;
    });
  }

  /**
   * Stores `records` within holdMs, unless a write() of the same legs comes first and stores them
   * merged into its own (see the class comment). Resolves once they are stored; rejects when their
   * hold's batch failed. A leg taken by a write() is that write's to store: its caller retries.
   */
  hold(...records: MessageRecord[]): Promise<void> {
    const holdMs = this.options.holdMs ?? DEFAULT_HOLD_MS;
    if (records.length === 0) return Promise.resolve();
    if (this.#stopped || holdMs <= 0) return this.write(...records);
    const now = Date.now();
    const current = this.#holding;
    const window = current && now - current.openedAt < holdMs / HOLD_WINDOWS ? current : this.openHold(holdMs, now);
    for (const r of records) {
      const key = legKey(r);
      this.#held.set(key, r);
      window.keys.push(key);
    }
    return window.done;
  }

  /** Writes what is buffered or held and waits for every batch in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const window of this.#windows) this.release(window);
    this.flush();
    await Promise.allSettled([...this.#inFlight]);
  }

  private open(): Pending {
    let settle!: (failures: Failures | undefined) => void;
    const done = new Promise<Failures | undefined>((res) => (settle = res));
    this.#pending = { records: [], ends: [], done, settle };
    this.#timer = setTimeout(() => this.flush(), this.options.flushMs ?? DEFAULT_FLUSH_MS);
    return this.#pending;
  }

  private flush(): void {
    clearTimeout(this.#timer);
    const batch = this.#pending;
    this.#pending = undefined;
    if (!batch) return;
    const run = this.store(batch).then(batch.settle);
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }

  /**
   * Stores a batch; when the database refuses its data, stores each caller's legs on their own.
   * An outage fails every caller at once: one query per caller would only fail the same way.
   */
  private async store(batch: Pending): Promise<Failures | undefined> {
    try {
      await this.upsert(batch.records);
      return undefined;
    } catch (err) {
      const failure = err ?? new Error('record write failed');
      if (batch.ends.length === 1 || !isPermanentDataError(err)) return () => failure;
    }
    const own = await Promise.allSettled(
      batch.ends.map((end, i) => this.upsert(batch.records.slice(i === 0 ? 0 : batch.ends[i - 1], end))),
    );
    return (caller) => {
      const result = own[caller];
      return result?.status === 'rejected' ? ((result.reason as unknown) ?? new Error('record write failed')) : undefined;
    };
  }

  /** One upsert, failed with UnavailableError when the database takes longer than writeTimeoutMs. */
  private async upsert(records: MessageRecord[]): Promise<void> {
    const ms = this.options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    if (ms <= 0) return this.repo.upsertMany(records);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`the ledger write took longer than ${ms} ms`)), ms);
    });
    try {
      await Promise.race([this.repo.upsertMany(records), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The held legs with the same key as any of `records`, no longer held. */
  private takeHeld(records: MessageRecord[]): MessageRecord[] {
    const taken: MessageRecord[] = [];
    for (const r of records) {
      const key = legKey(r);
      const held = this.#held.get(key);
      if (held === undefined) continue;
      this.#held.delete(key);
      taken.push(held);
    }
    return taken;
  }

  private openHold(holdMs: number, now: number): HoldWindow {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    done.catch(() => undefined);
    const window: HoldWindow = { openedAt: now, keys: [], done, resolve, reject, timer: setTimeout(() => this.release(window), holdMs) };
    this.#holding = window;
    this.#windows.add(window);
    return window;
  }

  /** Ends a hold: writes those of its legs no write() took. */
  private release(window: HoldWindow): void {
    clearTimeout(window.timer);
    this.#windows.delete(window);
    if (this.#holding === window) this.#holding = undefined;
    const due: MessageRecord[] = [];
    for (const key of window.keys) {
      const held = this.#held.get(key);
      if (held === undefined) continue;
      this.#held.delete(key);
      due.push(held);
    }
    if (due.length === 0) return window.resolve();
    this.write(...due).then(window.resolve, window.reject);
  }
}
