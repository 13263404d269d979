import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import { createCounters, type AddWithinResult, type CounterLimit, type OnceKey } from './counters.js';
import { WriteBehindCounters } from './write-behind.js';

/** Memory counters that record every addWithin reaching them, and can be made to fail. */
function recordingCounters() {
  const inner = createCounters({ kind: 'memory' }, 't');
  const calls: Array<{ keys: string[]; units: number }> = [];
  let down = false;
  const counters = {
    add: inner.add.bind(inner),
    remove: inner.remove.bind(inner),
    read: inner.read.bind(inner),
    async addWithin(entries: readonly CounterLimit[], units: number, once?: OnceKey): Promise<AddWithinResult> {
      if (down) throw new UnavailableError('the quota counters are unavailable');
      calls.push({ keys: entries.map((e) => e.key), units });
      return inner.addWithin(entries, units, once);
    },
  };
  return { counters, calls, setDown: (d: boolean) => void (down = d) };
}

const plain = (...keys: string[]): CounterLimit[] => keys.map((key) => ({ key, ttlSecs: 3600 }));

describe('WriteBehindCounters', () => {
  it('count messages without a limit here, and write each counter once per flush with the sum', async () => {
    const { counters, calls } = recordingCounters();
    const behind = new WriteBehindCounters(counters, { logger: silentLogger(), flushMs: 60_000 });
    for (let i = 0; i < 50; i++) expect(await behind.addWithin(plain('day', 'month'), 2)).toEqual({ added: true });
    expect(calls).toEqual([]);
    expect(await behind.read(['day', 'month', 'other'])).toEqual([100, 100, 0]);
    await behind.flush();
    expect(calls).toEqual([{ keys: ['day', 'month'], units: 100 }]);
    expect(await counters.read(['day', 'month'])).toEqual([100, 100]);
    expect(await behind.read(['day'])).toEqual([100]); // not counted twice once written
  });

  it('send at once what must be exact: a limit to check, a once key, a refund', async () => {
    const { counters, calls } = recordingCounters();
    const behind = new WriteBehindCounters(counters, { logger: silentLogger(), flushMs: 60_000 });
    await behind.addWithin([{ key: 'day', ttlSecs: 60, limit: 1 }], 1);
    expect(await behind.addWithin([{ key: 'day', ttlSecs: 60, limit: 1 }], 1)).toMatchObject({ added: false, index: 0, current: 1 });
    await behind.addWithin(plain('x'), 1, { key: 'once:1', ttlSecs: 60 });
    await behind.addWithin(plain('x'), -1);
    expect(calls.map((c) => c.units)).toEqual([1, 1, 1, -1]);
    expect(calls[0]!.keys).toEqual(['day']);
  });

  it('count a message with a once key and no limit here when the counters are down, and write it when they are back', async () => {
    const { counters, setDown } = recordingCounters();
    const behind = new WriteBehindCounters(counters, { logger: silentLogger(), flushMs: 60_000 });
    setDown(true);
    expect(await behind.addWithin(plain('day'), 2, { key: 'once:1', ttlSecs: 60 })).toEqual({ added: true });
    // A limit still cannot be checked: refused, as before.
    await expect(behind.addWithin([{ key: 'day', ttlSecs: 60, limit: 5 }], 1)).rejects.toBeInstanceOf(UnavailableError);
    expect(await behind.read(['day'])).toEqual([2]);
    setDown(false);
    await behind.flush();
    expect(await counters.read(['day'])).toEqual([2]);
  });

  it('flush by itself after its interval', async () => {
    const { counters, calls } = recordingCounters();
    const behind = new WriteBehindCounters(counters, { logger: silentLogger(), flushMs: 20 });
    await behind.addWithin(plain('a'), 1);
    await behind.addWithin(plain('b'), 3);
    await new Promise((r) => setTimeout(r, 80));
    expect(calls.sort((x, y) => x.units - y.units)).toEqual([
      { keys: ['a'], units: 1 },
      { keys: ['b'], units: 3 },
    ]);
  });

  it('keep the counts while the counters are down and write them once they are back', async () => {
    const { counters, calls, setDown } = recordingCounters();
    const behind = new WriteBehindCounters(counters, { logger: silentLogger(), flushMs: 60_000 });
    setDown(true);
    await behind.addWithin(plain('day'), 1);
    await behind.flush();
    await behind.addWithin(plain('day'), 1);
    await behind.flush();
    expect(await behind.read(['day'])).toEqual([2]);
    setDown(false);
    await behind.flush();
    expect(calls).toEqual([{ keys: ['day'], units: 2 }]);
    expect(await counters.read(['day'])).toEqual([2]);
  });

  it('write what it holds when closed, and run flushes one after another', async () => {
    const { counters, calls } = recordingCounters();
    const behind = new WriteBehindCounters(counters, { logger: silentLogger(), flushMs: 60_000 });
    await behind.addWithin(plain('a'), 1);
    const first = behind.flush();
    await new Promise((r) => setImmediate(r)); // the first flush is writing
    await behind.addWithin(plain('a'), 1);
    expect(await behind.read(['a'])).toEqual([2]);
    await Promise.all([first, behind.close()]);
    expect(calls).toEqual([
      { keys: ['a'], units: 1 },
      { keys: ['a'], units: 1 },
    ]);
    expect(await counters.read(['a'])).toEqual([2]);
  });
});
