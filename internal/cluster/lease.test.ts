import { afterEach, describe, expect, it } from 'vitest';
import { createBus, MemoryBusHub, type Bus, type KvBucket } from '../bus/index.js';
import { Lease } from './lease.js';
import { LeaseManager } from './lease-manager.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TTL = 300;

async function eventually(what: string, check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A bucket that grants create and then answers update as told. */
function scriptedBucket(update: () => Promise<number | null>): KvBucket & { deletes: number } {
  const b = {
    deletes: 0,
    get: async () => null,
    entries: async () => [],
    create: async () => 1,
    update,
    delete: async () => {
      b.deletes++;
      return true;
    },
  };
  return b;
}

describe('Lease', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const started = async (bucket: KvBucket, events: boolean[]): Promise<Lease> => {
    const lease = new Lease({ bucket, key: 'k', nodeId: 'n', ttlMs: TTL });
    lease.onChange((leader) => void events.push(leader));
    cleanup.push(() => lease.stop());
    await lease.start();
    return lease;
  };

  it('steps down at once when a renewal is refused', async () => {
    const events: boolean[] = [];
    const lease = await started(scriptedBucket(async () => null), events);
    expect(lease.isLeader()).toBe(true);
    expect(lease.token()).toBe(1);
    await eventually('step-down', () => !lease.isLeader(), TTL);
    expect(events).toEqual([true, false]);
    expect(lease.token()).toBeUndefined();
  });

  it('steps down when a renewal hangs longer than a third of the TTL, well before the key can expire', async () => {
    const events: boolean[] = [];
    const t0 = Date.now();
    const lease = await started(scriptedBucket(() => new Promise(() => undefined)), events);
    await eventually('step-down', () => !lease.isLeader(), TTL * 2);
    expect(Date.now() - t0).toBeLessThan(TTL);
    expect(events).toEqual([true, false]);
  });

  it('steps down when a renewal fails (bus gone)', async () => {
    const events: boolean[] = [];
    const lease = await started(scriptedBucket(async () => Promise.reject(new Error('bus stopped (expected in this test)'))), events);
    await eventually('step-down', () => !lease.isLeader(), TTL);
    expect(events).toEqual([true, false]);
  });
});

describe('LeaseManager', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const nodes = async (n: number): Promise<{ buses: Bus[]; managers: LeaseManager[] }> => {
    const hub = new MemoryBusHub();
    const buses: Bus[] = [];
    const managers: LeaseManager[] = [];
    for (let i = 0; i < n; i++) {
      const bus = createBus({ kind: 'memory', hub }, { nodeId: `n${i}`, logger: quiet });
      await bus.start();
      cleanup.push(() => bus.stop());
      const m = new LeaseManager({ bucket: await bus.kv('leases', { ttlMs: TTL }), nodeId: `n${i}`, ttlMs: TTL });
      cleanup.push(() => m.stop());
      buses.push(bus);
      managers.push(m);
    }
    return { buses, managers };
  };
  const leaderOf = (ms: LeaseManager[], key: string): number[] => ms.flatMap((m, i) => (m.isLeader(key) ? [i] : []));

  it('elects one leader per key and reports changes by key', async () => {
    const { managers } = await nodes(2);
    const events: string[] = [];
    managers.forEach((m, i) => m.onChange((key, leader) => void events.push(`${i}:${key}:${leader}`)));
    for (const key of ['carrier-1', 'carrier-2', 'carrier-3']) await Promise.all(managers.map((m) => m.ensure(key)));
    for (const key of ['carrier-1', 'carrier-2', 'carrier-3']) expect(leaderOf(managers, key)).toHaveLength(1);
    expect(events).toHaveLength(3);
    expect(managers[0].keys().sort()).toEqual(['carrier-1', 'carrier-2', 'carrier-3']);
    await managers[0].ensure('carrier-1');
    expect(managers[0].keys()).toHaveLength(3);
  });

  it('hands a released key to another node within one poll', async () => {
    const { managers } = await nodes(2);
    await managers[0].ensure('c');
    await managers[1].ensure('c');
    const [held] = leaderOf(managers, 'c');
    const other = 1 - held;
    const token = managers[held].token('c') as number;
    await managers[held].release('c');
    expect(managers[held].keys()).toEqual([]);
    await eventually('takeover', () => managers[other].isLeader('c'), TTL);
    expect(managers[other].token('c')).toBeGreaterThan(token);
  });

  it('waits for a listener to step down before another node may lead', async () => {
    const { managers } = await nodes(2);
    await managers[0].ensure('c');
    await managers[1].ensure('c');
    const [held] = leaderOf(managers, 'c');
    const other = 1 - held;
    let drained = false;
    managers[held].onChange(async (_key, leader) => {
      if (leader) return;
      await sleep(TTL * 2);
      drained = true;
    });
    const stopping = managers[held].stop();
    await sleep(TTL * 1.5);
    expect(managers[other].isLeader('c')).toBe(false);
    await stopping;
    expect(drained).toBe(true);
    await eventually('takeover', () => managers[other].isLeader('c'), TTL);
  });

  it("takes over within about one TTL when the leader's bus stops without releasing", async () => {
    const { buses, managers } = await nodes(2);
    await managers[0].ensure('c');
    await managers[1].ensure('c');
    const [held] = leaderOf(managers, 'c');
    const t0 = Date.now();
    await buses[held].stop();
    await eventually('takeover', () => managers[1 - held].isLeader('c'), TTL * 3);
    expect(Date.now() - t0).toBeLessThan(TTL + TTL / 3 + 200);
    expect(managers[held].isLeader('c')).toBe(false);
  });
});
