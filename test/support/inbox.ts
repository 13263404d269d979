/**
 * What a test peer has received (MO messages, DLRs, deliver_sm PDUs), with waits that resolve on
 * the first matching item, already received or still to come. A wait that times out rejects with
 * what did arrive plus the peer's own context (e.g. its log tail), so a failure explains itself.
 */

export type Predicate<T> = (item: T) => boolean;

interface Waiter<T> {
  matches: Predicate<T>;
  wanted: number;
  found: T[];
  resolve: (items: T[]) => void;
}

export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters = new Set<Waiter<T>>();

  /**
   * @param label names the peer and the kind of item in error messages ("Kannel MO").
   * @param describe renders one item for an error message.
   * @param context extra text for a timeout error, e.g. the peer's log tail.
   */
  constructor(
    private readonly label: string,
    private readonly describe: (item: T) => string,
    private readonly context: () => Promise<string> = async () => '',
  ) {}

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      if (!w.matches(item)) continue;
      w.found.push(item);
      if (w.found.length >= w.wanted) {
        this.waiters.delete(w);
        w.resolve(w.found);
      }
    }
  }

  /** Everything received so far, oldest first (a copy). */
  all(): T[] {
    return [...this.items];
  }

  /** The first item matching `matches`, waiting up to `timeoutMs` for it. */
  async wait(matches: Predicate<T>, timeoutMs: number): Promise<T> {
    const [first] = await this.waitCount(1, matches, timeoutMs);
    return first;
  }

  /** The first `count` items matching `matches` (already received ones included), in arrival order. */
  waitCount(count: number, matches: Predicate<T>, timeoutMs: number): Promise<T[]> {
    const found = this.items.filter(matches);
    if (found.length >= count) return Promise.resolve(found.slice(0, count));
    return new Promise<T[]>((resolve, reject) => {
      const waiter: Waiter<T> = {
        matches,
        wanted: count,
        found,
        resolve: (items) => {
          clearTimeout(timer);
          resolve(items);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        void this.timeoutError(count, waiter.found.length, timeoutMs).then(reject);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private async timeoutError(wanted: number, got: number, timeoutMs: number): Promise<Error> {
    const recent = this.items.slice(-8).map((i) => `  ${this.describe(i)}`);
    const context = await this.context().catch((err: unknown) => `(context unavailable: ${String(err)})`);
    return new Error(
      `${this.label}: ${got} of ${wanted} matching item(s) after ${timeoutMs} ms; ` +
        `${this.items.length} received in all${recent.length ? `, the last ones:\n${recent.join('\n')}` : ''}` +
        (context ? `\n${context}` : ''),
    );
  }
}
