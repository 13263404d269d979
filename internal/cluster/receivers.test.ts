import { afterEach, describe, expect, it } from 'vitest';
import { createBus, MemoryBusHub } from '../bus/index.js';
import { ReceiverRegistry } from './receivers.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const TTL = 300;

describe('ReceiverRegistry', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** Registries of `n` nodes on one in-process bus hub, sharing the bucket. */
  async function nodes(n: number, now?: () => number): Promise<ReceiverRegistry[]> {
    const hub = new MemoryBusHub();
    const out: ReceiverRegistry[] = [];
    for (let i = 0; i < n; i++) {
      const bus = createBus({ kind: 'memory', hub }, { nodeId: `n${i}`, logger: quiet });
      await bus.start();
      cleanup.push(() => bus.stop());
      const registry = new ReceiverRegistry({ bucket: 'rx', nodeId: `n${i}`, ttlMs: TTL }, { bus, logger: quiet, now });
      await registry.start();
      cleanup.push(() => registry.stop());
      out.push(registry);
    }
    return out;
  }

  it('tells every node which nodes hold a receiving bind of a client', async () => {
    const [a, b] = await nodes(2);
    expect(await b!.receivers(7)).toEqual([]);
    await a!.set(7, '10.0.0.1');
    expect(await b!.receivers(7)).toEqual([{ node: 'n0', ip: '10.0.0.1' }]);
    await b!.set(7, '10.0.0.2');
    expect(await a!.receivers(7)).toEqual([{ node: 'n0', ip: '10.0.0.1' }, { node: 'n1', ip: '10.0.0.2' }]);
    await a!.set(7, undefined);
    expect(await a!.receivers(7)).toEqual([{ node: 'n1', ip: '10.0.0.2' }]);
    await b!.set(7, undefined);
    expect(await a!.receivers(7)).toEqual([]);
    expect(await a!.receivers(8)).toEqual([]);
  });

  it('keeps both entries when two nodes write the same client at once', async () => {
    const [a, b] = await nodes(2);
    await Promise.all([a!.set(3, 'x'), b!.set(3, 'y'), a!.set(4, 'x')]);
    expect((await a!.receivers(3)).map((r) => r.node)).toEqual(['n0', 'n1']);
    expect((await b!.receivers(4)).map((r) => r.node)).toEqual(['n0']);
  });

  it('applies one node\'s changes of a client in order', async () => {
    const [a] = await nodes(1);
    await Promise.all([a!.set(5, 'x'), a!.set(5, undefined), a!.set(5, 'z'), a!.set(5, undefined)]);
    expect(await a!.receivers(5)).toEqual([]);
  });

  it('renews its entries while bound and withdraws them when stopped', async () => {
    const [a, b] = await nodes(2);
    await a!.set(9, 'x');
    await new Promise((r) => setTimeout(r, TTL * 2));
    expect(await b!.receivers(9)).toHaveLength(1);
    await a!.stop();
    expect(await b!.receivers(9)).toEqual([]);
  });

  it('forgets a node that stopped renewing once its entry lapses', async () => {
    let clock = 1_000_000;
    const [a, b] = await nodes(2, () => clock);
    await a!.set(2, 'x');
    expect(await b!.receivers(2)).toHaveLength(1);
    clock += TTL + 1; // a died: its claim is past its time
    expect(await b!.receivers(2)).toEqual([]);
    await b!.set(2, 'y'); // and b's own write drops it
    expect((await b!.receivers(2)).map((r) => r.node)).toEqual(['n1']);
  });
});
