import type { Logger } from '../log/index.js';
import type { AddWithinResult, CounterLimit, Counters, CounterValue, OnceKey } from './counters.js';

/** How long a count waits here before it goes to the shared counters. */
export const WRITE_BEHIND_MS = 100;
/** Counters one flush call moves at most (one script call each; bounds its arguments). */
const MAX_KEYS_PER_CALL = 128;

type CheckedCounters = Counters & Required<Pick<Counters, 'addWithin'>>;

interface Pending {
  units: number;
  ttlSecs: number;
}

/**
 * Counters that count, without checking, behind the caller's back: an `addWithin` with no limit
 * to check and no once key (a message of a client without limits) adds to a tally in this
 * process and returns at once (one with a once key only when the shared counters are down);
 * every WRITE_BEHIND_MS the tally goes to the shared counters,
 * summed per counter, a few script calls for all the messages of that time. Anything that must
 * be exact (a limit to check, a once key, a refund) goes straight through, as before.
 *
 * Why: a message of a client without limits is counted only for the usage report, yet cost a
 * Redis script call of six counters on the hot path of every ingress. The report reads through
 * this layer, so on this node it is exact at once; on other nodes it trails by at most
 * WRITE_BEHIND_MS. A node killed outright loses at most that long of its usage counts (never a
 * message); a flush that fails (Redis down) keeps the tally and tries again, so a client without limits keeps sending while Redis is away.
 */
export class WriteBehindCounters implements Counters {
  readonly #inner: CheckedCounters;
  readonly #logger: Logger;
  readonly #flushMs: number;
  #pending = new Map<string, Pending>();
  /** The tally a flush is writing: still this node's to add to what Redis reads. */
  #writing = new Map<string, Pending>();
  #timer?: NodeJS.Timeout;
  /** The last flush: flushes run one after another. */
  #flushed: Promise<void> = Promise.resolve();
  #failing = false;
  #closed = false;

  constructor(inner: CheckedCounters, options: { logger: Logger; flushMs?: number }) {
    this.#inner = inner;
    this.#logger = options.logger;
    this.#flushMs = options.flushMs ?? WRITE_BEHIND_MS;
  }

  add(key: string, units: number, ttlSecs: number): Promise<CounterValue> {
    return this.#inner.add(key, units, ttlSecs);
  }

  remove(key: string, units: number, ttlSecs: number): Promise<void> {
    return this.#inner.remove(key, units, ttlSecs);
  }

  /** The shared totals plus what this node has not written yet. */
  async read(keys: readonly string[]): Promise<number[]> {
    const values = await this.#inner.read(keys);
    const local = (key: string) => (this.#pending.get(key)?.units ?? 0) + (this.#writing.get(key)?.units ?? 0);
    return values.map((v, i) => Math.max(0, v + local(keys[i]!)));
  }

  addWithin(entries: readonly CounterLimit[], units: number, once?: OnceKey): Promise<AddWithinResult> {
    if (units <= 0 || entries.some((e) => (e.limit ?? 0) > 0)) return this.#inner.addWithin(entries, units, once);
    if (once) return this.#onceOrTally(entries, units, once);
    this.#tally(entries, units);
    return Promise.resolve({ added: true });
  }

  /**
   * A message with a once key (it may come again) and no limit: counted once through the shared
   * counters; when they are down, counted here instead, since nothing needs checking and a client
   * without limits keeps sending while Redis is away. A repeat of it meanwhile counts again.
   */
  async #onceOrTally(entries: readonly CounterLimit[], units: number, once: OnceKey): Promise<AddWithinResult> {
    try {
      return await this.#inner.addWithin(entries, units, once);
    } catch {
      this.#tally(entries, units);
      return { added: true };
    }
  }

  /** Writes the tally now, after any flush already under way. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushed = this.#flushed
      .then(() => this.#write())
      .then(() => {
        if (this.#pending.size > 0 && !this.#closed) this.#schedule();
      });
    return this.#flushed;
  }

  /** Last flush, at shutdown: what Redis does not take now is logged as lost. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    if (this.#pending.size > 0) {
      this.#logger.warn({ counters: this.#pending.size }, 'quota: usage counts not written at shutdown; usage stays under-counted');
    }
  }

  #tally(entries: readonly CounterLimit[], units: number): void {
    for (const e of entries) {
      const p = this.#pending.get(e.key);
      if (p) p.units += units;
      else this.#pending.set(e.key, { units, ttlSecs: e.ttlSecs });
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => void this.flush(), this.#flushMs);
    this.#timer.unref();
  }

  /** Sends the tally, one call per group of counters with the same sum; what fails is kept for the next flush. */
  async #write(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#writing = batch;
    let failed = 0;
    for (const [units, group] of groupByUnits(batch)) {
      try {
        await this.#inner.addWithin(
          group.map(([key, p]) => ({ key, ttlSecs: p.ttlSecs })),
          units,
        );
        for (const [key] of group) batch.delete(key);
      } catch {
        // Back into the tally at once, so a read meanwhile still sees these units.
        for (const [key, p] of group) {
          batch.delete(key);
          this.#tally([{ key, ttlSecs: p.ttlSecs }], p.units);
        }
        failed += group.length;
      }
    }
    this.#writing = new Map();
    if (failed > 0 && !this.#failing) {
      this.#logger.warn({ counters: failed }, 'quota: could not write usage counts; will try again');
    } else if (failed === 0 && this.#failing) {
      this.#logger.info({}, 'quota: usage counts written again');
    }
    this.#failing = failed > 0;
  }
}

/** Counters with the same units to add, in calls of at most MAX_KEYS_PER_CALL. */
function groupByUnits(batch: Map<string, Pending>): Array<[number, Array<[string, Pending]>]> {
  const groups = new Map<number, Array<[string, Pending]>>();
  for (const entry of batch) {
    if (entry[1].units === 0) continue;
    const group = groups.get(entry[1].units);
    if (group) group.push(entry);
    else groups.set(entry[1].units, [entry]);
  }
  const calls: Array<[number, Array<[string, Pending]>]> = [];
  for (const [units, group] of groups) {
    for (let i = 0; i < group.length; i += MAX_KEYS_PER_CALL) calls.push([units, group.slice(i, i + MAX_KEYS_PER_CALL)]);
  }
  return calls;
}
