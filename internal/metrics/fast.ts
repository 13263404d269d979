/**
 * A faster hot path for prom-client counters and histograms.
 *
 * Why: prom-client validates the label object, sorts and joins its keys into a hash, and (for a
 * histogram) allocates a closure, on every inc/observe: ~2.5 % of a loaded node's CPU at eight
 * labelled updates a message. Here the first update of a label set goes through prom-client as
 * before (it validates the labels and creates the series); the series object prom-client keeps
 * for it is then remembered under the label values as given, and later updates add to it
 * directly. Exposition, default labels, get() and aggregation stay prom-client's, reading the
 * same series.
 *
 * A metric holds at most MAX_SERIES label sets: once it has that many, a new label set is counted
 * in one overflow series whose every label is OVERFLOW_LABEL, so neither prom-client's series nor
 * this cache can grow without bound, whatever a caller passes. Label values from the wire must
 * still be mapped to known values at the call site; this is the backstop, not the rule.
 *
 * This reads prom-client's per-series objects (`hashMap`: `{ labels, value }` for a counter,
 * `{ labels, bucketValues, sum, count }` for a histogram), not public API. If an upgrade changes
 * them, `find` finds nothing and every update keeps taking prom-client's own path.
 */
import type { Counter, Histogram } from 'prom-client';

type Labels = Record<string, string | number>;
const NO_LABELS: Labels = {};
/** Label sets per metric before the overflow series: far above any real set (SMPP PDUs: about 7,000). */
export const MAX_SERIES = 10_000;
/** Every label value of the overflow series. */
export const OVERFLOW_LABEL = 'other';
interface CounterSeries { labels: Labels; value: number }
interface HistogramSeries { labels: Labels; sum: number; count: number; bucketValues: Record<string, number> }
interface Internals<S> { hashMap?: Record<string, S>; upperBounds?: readonly number[] }

/** Makes `counter.inc` fast after a label set's first update; returns the same counter. */
export function fastCounter<T extends string>(counter: Counter<T>): Counter<T> {
  const slow = counter.inc.bind(counter) as (labels?: Labels | number, value?: number) => void;
  const known = rememberSeries<CounterSeries>(counter, (s) => typeof s.value === 'number');
  (counter as { inc: unknown }).inc = (labels?: Labels | number, value?: number): void => {
    if (typeof labels !== 'object' || labels === null || (value !== undefined && !(value >= 0 && value < Infinity))) {
      return slow(labels, value);
    }
    const series = known.get(labels);
    if (series) {
      series.value += value ?? 1;
      return;
    }
    const given = known.admit(labels);
    slow(given, value);
    known.remember(given);
  };
  return counter;
}

/** Makes `histogram.observe` fast after a label set's first observation; returns the same histogram. */
export function fastHistogram<T extends string>(histogram: Histogram<T>): Histogram<T> {
  const slow = histogram.observe.bind(histogram) as (labels: Labels | number, value?: number) => void;
  const bounds = (histogram as unknown as Internals<HistogramSeries>).upperBounds;
  // The buckets' keys as prom-client's object has them: a number key would be made a string per update.
  const boundKeys = bounds?.map(String) ?? [];
  const known = rememberSeries<HistogramSeries>(histogram, (s) => typeof s.sum === 'number' && typeof s.bucketValues === 'object');
  (histogram as { observe: unknown }).observe = (labels: Labels | number, value?: number): void => {
    const unlabelled = typeof labels === 'number';
    const v = unlabelled ? labels : value;
    if (!bounds || (!unlabelled && (typeof labels !== 'object' || labels === null)) || typeof v !== 'number' || !Number.isFinite(v)) {
      return slow(labels, value);
    }
    const given = unlabelled ? NO_LABELS : labels;
    const series = known.get(given);
    if (!series) {
      const admitted = known.admit(given);
      slow(unlabelled ? labels : admitted, value);
      return known.remember(admitted);
    }
    series.sum += v;
    series.count += 1;
    // The first bound at or above v (prom-client's findBound); above the last, only +Inf (count).
    for (let i = 0; i < bounds.length; i++) {
      if (v <= bounds[i]!) {
        const key = boundKeys[i]!;
        series.bucketValues[key] = (series.bucketValues[key] ?? 0) + 1;
        break;
      }
    }
  };
  return histogram;
}

/**
 * The series prom-client keeps, found by the label values in the metric's label order, one Map
 * level per label: label values are short strings whose hashes V8 keeps, so a lookup builds no
 * key string. Forgotten when prom-client drops or replaces its series (reset, remove), so an
 * update never goes to a series no longer exported. A label the metric does not have is refused
 * by prom-client on a label set's first update; the types keep call sites from adding one later.
 */
function rememberSeries<S extends { labels: Labels }>(metric: Counter<string> | Histogram<string>, shape: (s: S) => boolean) {
  const internals = metric as unknown as Internals<S> & { labelNames?: readonly string[]; sortedLabelNames?: readonly string[] };
  const names = internals.labelNames ?? [];
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
  const last = names.length - 1;
  const overflow: Labels = Object.fromEntries(names.map((n) => [n, OVERFLOW_LABEL]));
  return {
    /** `labels`, or the overflow label set once the metric holds MAX_SERIES label sets. */
    admit(labels: Labels): Labels {
      return size < MAX_SERIES ? labels : overflow;
    },
    get(labels: Labels): S | undefined {
      if (last < 0) return root.get(undefined) as S | undefined;
      let node = root;
      for (let i = 0; i < last; i++) {
        node = node.get(labels[names[i]!]) as Map<unknown, unknown>;
        if (node === undefined) return undefined;
      }
      return node.get(labels[names[last]!]) as S | undefined;
    },
    remember(labels: Labels): void {
      const series = find(internals, labels);
      if (!series || !shape(series)) return;
      let node = root;
      for (let i = 0; i < last; i++) {
        const value = labels[names[i]!];
        let next = node.get(value) as Map<unknown, unknown> | undefined;
        if (!next) node.set(value, (next = new Map()));
        node = next;
      }
      const key = last < 0 ? undefined : labels[names[last]!];
      if (!node.has(key)) size++;
      node.set(key, series);
    },
  };
}

/**
 * The series whose labels are `labels`: prom-client keys its hashMap by `name:value,` over the
 * metric's sorted label names (lib/util.js hashObject). One lookup, never a scan, so a metric
 * with many series does not make each new one cost more.
 */
function find<S extends { labels: Labels }>(
  internals: { hashMap?: Record<string, S>; sortedLabelNames?: readonly string[] }, labels: Labels,
): S | undefined {
  const { hashMap, sortedLabelNames } = internals;
  if (!hashMap || typeof hashMap !== 'object' || !Array.isArray(sortedLabelNames)) return undefined;
  let hash = '';
  for (const name of sortedLabelNames) {
    if (labels[name] !== undefined) hash += `${name}:${labels[name]},`;
  }
  const series = Object.hasOwn(hashMap, hash) ? hashMap[hash] : undefined;
  const theirs = series?.labels;
  if (!theirs || typeof theirs !== 'object') return undefined;
  const names = Object.keys(labels);
  if (Object.keys(theirs).length !== names.length || !names.every((n) => String(theirs[n]) === String(labels[n]))) return undefined;
  return series;
}
