import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MAX_SERIES, cappedCounter, cappedHistogram } from './series-cap.js';

/** The same metrics twice: prom-client's own, and the capped ones, each on a registry of its own. */
function pair() {
  const make = (capped: boolean) => {
    const registry = new Registry();
    registry.setDefaultLabels({ server_id: 'n1' });
    const registers = [registry];
    const counter = { name: 'c_total', help: 'c', labelNames: ['protocol', 'carrier', 'result'] as const, registers };
    const histogram = { name: 'h_seconds', help: 'h', labelNames: ['protocol'] as const, buckets: [0.001, 0.01, 0.1, 1], registers };
    const plain = { name: 'p_seconds', help: 'p', buckets: [0.5, 1], registers };
    return {
      registry,
      counter: capped ? cappedCounter(counter) : new Counter(counter),
      histogram: capped ? cappedHistogram(histogram) : new Histogram(histogram),
      plain: capped ? cappedHistogram(plain) : new Histogram(plain),
    };
  };
  return [make(false), make(true)] as const;
}

describe('cappedCounter and cappedHistogram', () => {
  it('export exactly what prom-client exports for the same updates', async () => {
    const both = pair();
    let seed = 7;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5_000; i++) {
      const protocol = ['smpp', 'carrier', 'webhook'][Math.floor(rand() * 3)]!;
      const carrier = ['telnyx', 'twilio'][Math.floor(rand() * 2)]!;
      const result = rand() < 0.9 ? 'ok' : 'retry';
      // Some above every bucket, some exactly on a bound (which counts in that bucket).
      const seconds = rand() < 0.05 ? 3 : rand() < 0.1 ? [0.001, 0.01, 0.1, 1][i % 4]! : rand() * 0.2;
      for (const m of both) {
        // Label keys in either order: the same series.
        if (i % 2 === 0) m.counter.inc({ protocol, carrier, result });
        else m.counter.inc({ result, carrier, protocol }, 2);
        m.histogram.observe({ protocol }, seconds);
        m.plain.observe(seconds * 5);
      }
    }
    expect(await both[1].registry.metrics()).toBe(await both[0].registry.metrics());
    expect(await both[1].counter.get()).toEqual(await both[0].counter.get());
  });

  it('keep counting into the exported series after reset and remove', async () => {
    const both = pair();
    for (const m of both) {
      m.counter.inc({ protocol: 'smpp', carrier: 'x', result: 'ok' });
      m.histogram.observe({ protocol: 'smpp' }, 0.005);
      m.counter.reset();
      m.histogram.remove({ protocol: 'smpp' });
      m.counter.inc({ protocol: 'smpp', carrier: 'x', result: 'ok' }, 3);
      m.histogram.observe({ protocol: 'smpp' }, 0.05);
      m.histogram.observe({ protocol: 'smpp' }, 0.05);
    }
    expect(await both[1].registry.metrics()).toBe(await both[0].registry.metrics());
    expect(await both[1].registry.metrics()).toContain('c_total{protocol="smpp",carrier="x",result="ok",server_id="n1"} 3');
  });

  it('still refuse what prom-client refuses: an unknown label, a negative increment, a value that is not a number', () => {
    const [, capped] = pair();
    capped.counter.inc({ protocol: 'smpp', carrier: 'x', result: 'ok' });
    expect(() => capped.counter.inc({ protocol: 'mm4', carrier: 'x', result: 'ok', extra: 'y' } as never)).toThrow();
    expect(() => capped.counter.inc({ protocol: 'smpp', carrier: 'x', result: 'ok' }, -1)).toThrow();
    capped.histogram.observe({ protocol: 'smpp' }, 0.1);
    expect(() => capped.histogram.observe({ protocol: 'smpp' }, Number.NaN)).toThrow();
    expect(() => capped.histogram.observe({ nope: 'x' } as never, 0.1)).toThrow();
  });

  it('hold at most MAX_SERIES label sets, counting the rest in one overflow series', async () => {
    const [, capped] = pair();
    const extra = 500;
    for (let i = 0; i < MAX_SERIES + extra; i++) {
      capped.counter.inc({ protocol: `p${i}`, carrier: 'x', result: 'ok' });
      capped.histogram.observe({ protocol: `p${i}` }, 0.005);
    }
    capped.counter.inc({ protocol: 'p1', carrier: 'x', result: 'ok' });
    const counted = (await capped.counter.get()).values;
    expect(counted).toHaveLength(MAX_SERIES + 1);
    expect(counted.find((v) => v.labels.protocol === 'other')).toMatchObject({
      value: extra,
      labels: { carrier: 'other', result: 'other' },
    });
    expect(counted.find((v) => v.labels.protocol === 'p1')?.value).toBe(2);
    const observed = (await capped.histogram.get()).values.filter((v) => v.metricName === 'h_seconds_count');
    expect(observed).toHaveLength(MAX_SERIES + 1);
    expect(observed.find((v) => v.labels.protocol === 'other')?.value).toBe(extra);
  });
});
