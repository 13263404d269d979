import { Gauge, type Registry } from 'prom-client';

/**
 * A reading taken when Prometheus scrapes, such as the bus's queue depths or the MM4 sessions.
 * The component that can read it sets its reader once started. Every gauge fed from one source
 * shares one reading per `cacheMs`, so a scrape (or several Prometheus servers scraping at once)
 * asks JetStream once, not once per gauge.
 */
export class ScrapeSource<T> {
  #read?: () => T | Promise<T>;
  #cached?: { at: number; value: Promise<T | undefined> };

  constructor(private readonly cacheMs: number) {}

  /** Sets (or with no argument, removes) the reader; the next scrape reads afresh. */
  readFrom(read?: () => T | Promise<T>): void {
    this.#read = read;
    this.#cached = undefined;
  }

  /** The latest reading at most `cacheMs` old; undefined with no reader, or when reading failed. */
  read(now = Date.now()): Promise<T | undefined> {
    const read = this.#read;
    if (!read) return Promise.resolve(undefined);
    if (this.#cached && now - this.#cached.at < this.cacheMs) return this.#cached.value;
    const value = Promise.resolve()
      .then(read)
      .catch(() => undefined);
    this.#cached = { at: now, value };
    return value;
  }
}

export interface ScrapedGaugeConfig<T, L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry[];
  source: ScrapeSource<T>;
  /** The gauge's series in a reading. */
  values(reading: T): Iterable<{ labels: Record<L, string>; value: number }>;
}

/** A gauge whose series are replaced by the source's reading at each scrape (none without one). */
export function scrapedGauge<T, L extends string>(config: ScrapedGaugeConfig<T, L>): Gauge<L> {
  const { source, values, ...gauge } = config;
  return new Gauge<L>({
    ...gauge,
    labelNames: [...gauge.labelNames],
    async collect() {
      const reading = await source.read();
      this.reset();
      if (reading === undefined) return;
      for (const { labels, value } of values(reading)) this.set(labels as never, value);
    },
  });
}
