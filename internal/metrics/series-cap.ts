/**
 * A ceiling on the label sets of a counter or histogram. Once a metric holds MAX_SERIES label
 * sets, a new one is counted in one overflow series whose every label is OVERFLOW_LABEL, so
 * prom-client's series cannot grow without bound, whatever a caller passes. Label values from
 * the wire must still be mapped to known values at the call site; this is the backstop, not the
 * rule. Updates go through prom-client's own inc/observe, which validate them.
 */
import { Counter, Histogram, type CounterConfiguration, type HistogramConfiguration } from 'prom-client';

type Labels = Record<string, string | number>;
/** Label sets per metric before the overflow series: far above any real set (SMPP PDUs: about 7,000). */
export const MAX_SERIES = 10_000;
/** Every label value of the overflow series. */
export const OVERFLOW_LABEL = 'other';

/** A Counter whose inc() admits at most MAX_SERIES label sets. */
export function cappedCounter<T extends string>(config: CounterConfiguration<T>): Counter<T> {
  const counter = new Counter(config);
  const inc = counter.inc.bind(counter) as (labels?: Labels | number, value?: number) => void;
  const admit = labelSets(counter, config.labelNames ?? []);
  (counter as { inc: unknown }).inc = (labels?: Labels | number, value?: number): void =>
    typeof labels === 'object' && labels !== null ? admit(labels, (l) => inc(l, value)) : inc(labels, value);
  return counter;
}

/** A Histogram whose observe() admits at most MAX_SERIES label sets. */
export function cappedHistogram<T extends string>(config: HistogramConfiguration<T>): Histogram<T> {
  const histogram = new Histogram(config);
  const observe = histogram.observe.bind(histogram) as (labels: Labels | number, value?: number) => void;
  const admit = labelSets(histogram, config.labelNames ?? []);
  (histogram as { observe: unknown }).observe = (labels: Labels | number, value?: number): void =>
    typeof labels === 'object' && labels !== null ? admit(labels, (l) => observe(l, value)) : observe(labels, value);
  return histogram;
}

/**
 * Runs `update` with `labels`, or with the overflow label set when `labels` is new and the
 * metric holds MAX_SERIES label sets already. Label sets are kept one Map level per label in the
 * metric's label order (no key string per update), recorded once prom-client took their first
 * update (it refuses a label the metric does not have), and forgotten on reset and remove, as
 * prom-client forgets its series.
 */
function labelSets(metric: Counter<string> | Histogram<string>, names: readonly string[]) {
  const overflow: Labels = Object.fromEntries(names.map((n) => [n, OVERFLOW_LABEL]));
  const last = names.length - 1;
  let root = new Map<unknown, unknown>();
  let size = 0;
  for (const name of ['reset', 'remove'] as const) {
    const original = (metric[name] as (...args: unknown[]) => void).bind(metric);
    (metric as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      root = new Map();
      size = 0;
      original(...args);
    };
  }
  const known = (labels: Labels): boolean => {
    let node: Map<unknown, unknown> | undefined = root;
    for (let i = 0; i < last && node; i++) node = node.get(labels[names[i]!]) as Map<unknown, unknown> | undefined;
    return node !== undefined && node.has(last < 0 ? undefined : labels[names[last]!]);
  };
  const record = (labels: Labels): void => {
    let node = root;
    for (let i = 0; i < last; i++) {
      const value = labels[names[i]!];
      let next = node.get(value) as Map<unknown, unknown> | undefined;
      if (!next) node.set(value, (next = new Map()));
      node = next;
    }
    node.set(last < 0 ? undefined : labels[names[last]!], true);
    size++;
  };
  return (labels: Labels, update: (labels: Labels) => void): void => {
    if (known(labels)) return update(labels);
    if (size >= MAX_SERIES) return update(overflow);
    update(labels);
    record(labels);
  };
}
