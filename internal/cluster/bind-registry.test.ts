import { afterEach, describe, expect, it } from 'vitest';
import { createBus, MemoryBusHub, type KvBucket } from '../bus/index.js';
import { UnavailableError } from '../errors/index.js';
import { BindRegistry, type BindClaim } from './bind-registry.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const TTL = 300;

const rx = (session: string, ip: string): BindClaim => ({ session, ip, mode: 'receiver' });

describe('BindRegistry', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** Registries of `n` nodes (n0, n1, …) on one in-process bus hub, sharing the bucket. */
  async function nodes(n: number, options: { now?: () => number; ttlMs?: number } = {}): Promise<BindRegistry[]> {
    const hub = new MemoryBusHub();
    const out: BindRegistry[] = [];
    for (let i = 0; i < n; i++) {
      const bus = createBus({ kind: 'memory', hub }, { nodeId: `n${i}`, logger: quiet });
      await bus.start();
      cleanup.push(() => bus.stop());
      const registry = new BindRegistry(
        { bucket: 'binds', nodeId: `n${i}`, ttlMs: options.ttlMs ?? TTL },
        { bus, logger: quiet, now: options.now },
      );
      await registry.start();
      cleanup.push(() => registry.stop());
      out.push(registry);
    }
    return out;
  }

  it('lists the binds of a client on every node, limited or not, until they are released', async () => {
    const [a, b] = await nodes(2, { ttlMs: 60_000 });
    const unlimited = await a!.claim(7, 0, { session: 's1', ip: '10.0.0.1', mode: 'receiver' });
    const limited = await b!.claim(7, 2, { session: 's2', ip: '10.0.0.2', mode: 'transceiver' });
    await b!.claim(8, 0, { session: 's3', ip: '10.0.0.3', mode: 'transmitter' });
    expect(await b!.binds(7)).toEqual([
      { node: 'n0', session: 's1', ip: '10.0.0.1', mode: 'receiver' },
      { node: 'n1', session: 's2', ip: '10.0.0.2', mode: 'transceiver' },
    ]);
    await unlimited?.release();
    await limited?.release();
    expect(await a!.binds(7)).toEqual([]);
    expect(await a!.binds(8)).toHaveLength(1);
  });

  it("admits a limited client's binds up to max_binds across the cluster, one at a time when they race", async () => {
    const [a, b] = await nodes(2, { ttlMs: 60_000 });
    const claims = await Promise.all([
      a!.claim(4, 2, rx('s1', 'x')),
      b!.claim(4, 2, rx('s2', 'y')),
      a!.claim(4, 2, rx('s3', 'x')),
      b!.claim(4, 2, rx('s4', 'y')),
    ]);
    expect(claims.filter((c) => c !== null)).toHaveLength(2);
    expect(await a!.binds(4)).toHaveLength(2);
    await claims.find((c) => c !== null)!.release();
    expect(await b!.claim(4, 2, rx('s5', 'y'))).not.toBeNull();
    expect(await b!.claim(4, 2, rx('s6', 'y'))).toBeNull();
  });

  it('tells every node which nodes hold a receiving bind of a client', async () => {
    const [a, b] = await nodes(2);
    expect(await b!.receiverNodes(7)).toEqual([]);
    await b!.claim(7, 0, { session: 't', ip: '10.0.0.9', mode: 'transmitter' });
    expect(await b!.receiverNodes(7)).toEqual([]);
    const first = await a!.claim(7, 0, rx('s1', '10.0.0.1'));
    await a!.claim(7, 0, rx('s2', '10.0.0.3'));
    expect(await b!.receiverNodes(7)).toEqual([{ node: 'n0', ip: '10.0.0.1' }]);
    const second = await b!.claim(7, 0, { session: 's3', ip: '10.0.0.2', mode: 'transceiver' });
    expect(await a!.receiverNodes(7)).toEqual([
      { node: 'n0', ip: '10.0.0.1' },
      { node: 'n1', ip: '10.0.0.2' },
    ]);
    await first?.release();
    expect(await a!.receiverNodes(7)).toEqual([
      { node: 'n0', ip: '10.0.0.3' },
      { node: 'n1', ip: '10.0.0.2' },
    ]);
    await second?.release();
    expect(await a!.receiverNodes(7)).toEqual([{ node: 'n0', ip: '10.0.0.3' }]);
    expect(await a!.receiverNodes(8)).toEqual([]);
  });

  it("keeps both nodes' binds when two nodes write the same client at once", async () => {
    const [a, b] = await nodes(2);
    await Promise.all([a!.claim(3, 0, rx('s1', 'x')), b!.claim(3, 0, rx('s2', 'y')), a!.claim(4, 0, rx('s3', 'x'))]);
    expect((await a!.receiverNodes(3)).map((r) => r.node)).toEqual(['n0', 'n1']);
    expect((await b!.receiverNodes(4)).map((r) => r.node)).toEqual(['n0']);
  });

  it("applies one node's changes of a client in order", async () => {
    const [a] = await nodes(1);
    const [s1, s2] = await Promise.all([a!.claim(5, 0, rx('s1', 'x')), a!.claim(5, 0, rx('s2', 'z'))]);
    await Promise.all([s1!.release(), s2!.release(), s1!.release()]);
    expect(await a!.receiverNodes(5)).toEqual([]);
  });

  it('renews its binds while bound and withdraws them when stopped', async () => {
    const [a, b] = await nodes(2);
    await a!.claim(9, 1, rx('s1', 'x'));
    await new Promise((r) => setTimeout(r, TTL * 2));
    expect(await b!.receiverNodes(9)).toHaveLength(1);
    expect(await b!.claim(9, 1, rx('s2', 'y'))).toBeNull();
    await a!.stop();
    expect(await b!.binds(9)).toEqual([]);
    expect(await b!.claim(9, 1, rx('s2', 'y'))).not.toBeNull();
  });

  it('forgets a node that stopped renewing once its binds lapse', async () => {
    let clock = 1_000_000;
    const [a, b] = await nodes(2, { now: () => clock });
    await a!.claim(2, 1, rx('s1', 'x'));
    expect(await b!.receiverNodes(2)).toHaveLength(1);
    expect(await b!.claim(2, 1, rx('s2', 'y'))).toBeNull();
    clock += TTL + 1; // a died: its binds are past their time
    expect(await b!.receiverNodes(2)).toEqual([]);
    expect(await b!.claim(2, 1, rx('s2', 'y'))).not.toBeNull(); // and b's own write drops them
    expect((await b!.binds(2)).map((r) => r.node)).toEqual(['n1']);
  });

  it('binds a client without a limit even when the KV is down, and records it at the next renewal', async () => {
    const written: string[] = [];
    let down = true;
    const bucket: KvBucket = {
      get: async () => {
        if (down) throw new UnavailableError('KV down');
        return null;
      },
      create: async (key, value) => {
        written.push(`${key} ${value}`);
        return 1;
      },
      update: async () => null,
      delete: async () => true,
    };
    const registry = new BindRegistry({ bucket: 'binds', nodeId: 'a', ttlMs: 30 }, { bus: { kv: async () => bucket }, logger: quiet });
    await registry.start();
    cleanup.push(() => registry.stop());
    expect(await registry.claim(7, 0, rx('s1', '10.0.0.1'))).not.toBeNull();
    await expect(registry.claim(7, 1, rx('s2', '10.0.0.1'))).rejects.toBeInstanceOf(UnavailableError);
    down = false;
    await new Promise((r) => setTimeout(r, 60));
    expect(written[0]).toMatch(/^bind\.7 .*"session":"s1"/);
    expect(written.join()).not.toContain('s2');
  });
});
