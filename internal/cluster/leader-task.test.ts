import { afterEach, describe, expect, it } from 'vitest';
import { createBus, MemoryBusHub, type Bus } from '../bus/index.js';
import { silentLogger } from '../log/index.js';
import { LeaderTask } from './leader-task.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TTL = 300;

describe('LeaderTask', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function node(hub: MemoryBusHub, id: string, pass: () => Promise<void>, onLead?: () => void): Promise<LeaderTask> {
    const bus: Bus = createBus({ kind: 'memory', hub }, { nodeId: id, logger: quiet });
    await bus.start();
    cleanup.push(() => bus.stop());
    const task = new LeaderTask(
      { bucket: 'leases', ttlMs: TTL, key: 'job', nodeId: id, intervalMs: 20 },
      { bus, logger: silentLogger(), pass, onLead },
    );
    await task.start();
    cleanup.push(() => task.stop());
    return task;
  }

  it('runs passes on one node at a time, never overlapping, and hands over when the leader stops', async () => {
    const hub = new MemoryBusHub();
    const runs: string[] = [];
    let running = 0;
    let overlapped = false;
    const pass = (id: string) => async () => {
      running += 1;
      overlapped ||= running > 1;
      runs.push(id);
      await sleep(30); // longer than the interval: a tick must not start a second pass
      running -= 1;
    };
    const leads: string[] = [];
    const a = await node(hub, 'a', pass('a'), () => leads.push('a'));
    const b = await node(hub, 'b', pass('b'), () => leads.push('b'));
    await sleep(200);
    expect([a.leading(), b.leading()].filter(Boolean)).toHaveLength(1);
    const first = a.leading() ? a : b;
    const firstId = first === a ? 'a' : 'b';
    expect(new Set(runs)).toEqual(new Set([firstId]));
    expect(overlapped).toBe(false);

    await first.stop();
    const other = first === a ? b : a;
    const deadline = Date.now() + 3_000;
    while (!other.leading() && Date.now() < deadline) await sleep(10);
    expect(other.leading()).toBe(true);
    await sleep(100);
    expect(runs.at(-1)).toBe(first === a ? 'b' : 'a');
    expect(leads).toEqual([firstId, first === a ? 'b' : 'a']);
  });

  it('keeps going after a failed pass', async () => {
    const hub = new MemoryBusHub();
    let calls = 0;
    await node(hub, 'a', async () => {
      calls += 1;
      if (calls === 1) throw new Error('first pass fails');
    });
    await sleep(150);
    expect(calls).toBeGreaterThan(2);
  });
});
