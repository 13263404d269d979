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
 * This reads prom-client's per-series objects (`hashMap`: `{ labels, value }` for a counter,
 * `{ labels, bucketValues, sum, count }` for a histogram), not public API. If an upgrade changes
 * them, `find` finds nothing and every update keeps taking prom-client's own path.
 */
import type { Counter, Histogram } from 'prom-client';

type Labels = Record<string, string | number>;
const NO_LABELS: Labels = {};
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
    slow(labels, value);
    known.remember(labels);
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
      slow(labels, value);
      return known.remember(given);
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
  const internals = metric as unknown as Internals<S> & { labelNames?: readonly string[] };
  const names = internals.labelNames ?? [];
  let root = new Map<unknown, unknown>();
  for (const name of ['reset', 'remove'] as const) {
    const original = (metric[name] as (...args: unknown[]) => void).bind(metric);
    (metric as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      root = new Map();
      original(...args);
    };
  }
  const last = names.length - 1;
  return {
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
      const series = find(internals.hashMap, labels);
      if (!series || !shape(series)) return;
      let node = root;
      for (let i = 0; i < last; i++) {
        const value = labels[names[i]!];
        let next = node.get(value) as Map<unknown, unknown> | undefined;
        if (!next) node.set(value, (next = new Map()));
        node = next;
      }
      node.set(last < 0 ? undefined : labels[names[last]!], series);
    },
  };
}

/** The series whose labels are `labels` (compared as prom-client prints them: as strings). */
function find<S extends { labels: Labels }>(hashMap: Record<string, S> | undefined, labels: Labels): S | undefined {
  if (!hashMap || typeof hashMap !== 'object') return undefined;
  const names = Object.keys(labels);
  for (const series of Object.values(hashMap)) {
    const theirs = series?.labels;
    if (!theirs || typeof theirs !== 'object' || Object.keys(theirs).length !== names.length) continue;
    if (names.every((n) => String(theirs[n]) === String(labels[n]))) return series;
  }
  return undefined;
}

