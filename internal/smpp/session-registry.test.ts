import { afterEach, describe, expect, it } from 'vitest';
import { createBus, MemoryBusHub, type Bus, type KvBucket } from '../bus/index.js';
import { UnavailableError } from '../errors/index.js';
import { BindRegistry } from './session-registry.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const BUCKET = 'binds';

describe('BindRegistry', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  const registries = async (...nodeIds: string[]): Promise<BindRegistry[]> => {
    const hub = new MemoryBusHub();
    return Promise.all(nodeIds.map(async (nodeId) => {
      const bus: Bus = createBus({ kind: 'memory', hub }, { nodeId, logger: quiet });
      await bus.start();
      cleanup.push(() => bus.stop());
      const registry = new BindRegistry({ bucket: BUCKET, nodeId, ttlMs: 60_000 }, { bus, logger: quiet });
      await registry.start();
      cleanup.push(() => registry.stop());
      return registry;
    }));
  };

  it('lists the binds of a client on every node, limited or not, until they are released', async () => {
    const [a, b] = await registries('a', 'b');
    const unlimited = await a.claim(7, 0, { session: 's1', ip: '10.0.0.1', mode: 'receiver' });
    const limited = await b.claim(7, 2, { session: 's2', ip: '10.0.0.2', mode: 'transceiver' });
    await b.claim(8, 0, { session: 's3', ip: '10.0.0.3', mode: 'transmitter' });
    const listed = await b.binds(7);
    expect(listed.sort((x, y) => x.node.localeCompare(y.node))).toEqual([
      { node: 'a', session: 's1', ip: '10.0.0.1', mode: 'receiver' },
      { node: 'b', session: 's2', ip: '10.0.0.2', mode: 'transceiver' },
    ]);
    await unlimited?.release();
    await limited?.release();
    expect(await a.binds(7)).toEqual([]);
    expect(await a.binds(8)).toHaveLength(1);
  });

  it('frees every bind of a node that stops', async () => {
    const [a, b] = await registries('a', 'b');
    await a.claim(7, 0, { session: 's1', ip: '10.0.0.1', mode: 'transceiver' });
    await a.stop();
    expect(await b.binds(7)).toEqual([]);
  });

  it('binds a client without a limit even when the KV is down, and records it at the next renewal', async () => {
    const writes: string[] = [];
    let down = true;
    const bucket: KvBucket = {
      get: async () => null,
      entries: async () => [],
      create: async (key) => {
        if (down) throw new UnavailableError('KV down');
        writes.push(key);
        return 1;
      },
      update: async (key) => (writes.includes(key) ? 2 : null),
      delete: async () => true,
    };
    const registry = new BindRegistry({ bucket: BUCKET, nodeId: 'a', ttlMs: 30 },
      { bus: { kv: async () => bucket }, logger: quiet });
    await registry.start();
    cleanup.push(() => registry.stop());
    expect(await registry.claim(7, 0, { session: 's1', ip: '10.0.0.1', mode: 'transceiver' })).not.toBeNull();
    await expect(registry.claim(7, 1, { session: 's2', ip: '10.0.0.1', mode: 'transceiver' })).rejects.toBeInstanceOf(UnavailableError);
    down = false;
    await new Promise((r) => setTimeout(r, 60));
    expect(writes).toEqual([expect.stringMatching(/^bind\.7\.any-/)]);
  });
});
