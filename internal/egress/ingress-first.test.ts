import { describe, expect, it, vi } from 'vitest';
import type { DurableMsg } from '../bus/index.js';
import { IngressFirst } from './ingress-first.js';

const msg = { working: () => undefined } as unknown as DurableMsg;

/** A send that runs until `finish` is called. */
function pendingSend(first: IngressFirst, log: string[], name: string) {
  let finish!: () => void;
  const ran = first.run(msg, () => {
    log.push(`start ${name}`);
    return new Promise<void>((r) => (finish = () => r()));
  });
  return { ran, finish: () => finish() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('IngressFirst', () => {
  it('lets every send run while ingress is quiet', async () => {
    const first = new IngressFirst({ busyAt: 4, idleAt: 1, floor: 1 });
    const log: string[] = [];
    const sends = ['a', 'b', 'c'].map((n) => pendingSend(first, log, n));
    await tick();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    sends.forEach((s) => s.finish());
    await Promise.all(sends.map((s) => s.ran));
  });

  it('holds sends to the floor while enough ingress is in flight, and frees them when it falls to idleAt', async () => {
    const changes: boolean[] = [];
    const first = new IngressFirst({ busyAt: 4, idleAt: 1, floor: 2 }, (busy) => changes.push(busy));
    const log: string[] = [];
    for (let i = 0; i < 4; i++) first.enter();
    expect(first.busy).toBe(true);
    expect(changes).toEqual([true]);
    const sends = ['a', 'b', 'c', 'd'].map((n) => pendingSend(first, log, n));
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    // One send done: the next waiting one takes its slot, still two at once.
    sends[0]!.finish();
    await sends[0]!.ran;
    await tick();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    // Ingress falls, but not yet to idleAt: still busy.
    first.leave();
    first.leave();
    expect(first.busy).toBe(true);
    first.leave();
    expect(first.busy).toBe(false);
    expect(changes).toEqual([true, false]);
    await tick();
    expect(log).toEqual(['start a', 'start b', 'start c', 'start d']);
    sends.slice(1).forEach((s) => s.finish());
    await Promise.all(sends.map((s) => s.ran));
  });

  it('gives the slot back when a send throws', async () => {
    const first = new IngressFirst({ busyAt: 1, idleAt: 0, floor: 1 });
    first.enter();
    await expect(first.run(msg, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const log: string[] = [];
    const s = pendingSend(first, log, 'next');
    await tick();
    expect(log).toEqual(['start next']);
    s.finish();
    await s.ran;
  });

  it('never yields with busyAt 0', async () => {
    const first = new IngressFirst({ busyAt: 0, idleAt: 0, floor: 1 });
    for (let i = 0; i < 100; i++) first.enter();
    expect(first.busy).toBe(false);
    const log: string[] = [];
    const sends = ['a', 'b'].map((n) => pendingSend(first, log, n));
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    sends.forEach((s) => s.finish());
    await Promise.all(sends.map((s) => s.ran));
  });

  it('tells the bus a waiting job is alive', async () => {
    const first = new IngressFirst({ busyAt: 1, idleAt: 0, floor: 1 });
    first.enter();
    let beats = 0;
    const alive = { working: () => void (beats += 1) } as unknown as DurableMsg;
    const log: string[] = [];
    const holder = pendingSend(first, log, 'holder');
    vi.useFakeTimers();
    try {
      const waiting = first.run(alive, async () => undefined);
      await vi.advanceTimersByTimeAsync(25_000);
      expect(beats).toBe(2);
      holder.finish();
      await holder.ran;
      await waiting;
    } finally {
      vi.useRealTimers();
    }
  });
});
