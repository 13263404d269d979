import { afterEach, describe, expect, it } from 'vitest';
import type { KvBucket } from '../bus/index.js';
import { Lease } from './lease.js';

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
    const lease = await started(
      scriptedBucket(async () => null),
      events,
    );
    expect(lease.isLeader()).toBe(true);
    expect(lease.token()).toBe(1);
    await eventually('step-down', () => !lease.isLeader(), TTL);
    expect(events).toEqual([true, false]);
    expect(lease.token()).toBeUndefined();
  });

  it('steps down when a renewal hangs longer than a third of the TTL, well before the key can expire', async () => {
    const events: boolean[] = [];
    const t0 = Date.now();
    const lease = await started(
      scriptedBucket(() => new Promise(() => undefined)),
      events,
    );
    await eventually('step-down', () => !lease.isLeader(), TTL * 2);
    expect(Date.now() - t0).toBeLessThan(TTL);
    expect(events).toEqual([true, false]);
  });

  it('steps down when a renewal fails (bus gone)', async () => {
    const events: boolean[] = [];
    const lease = await started(
      scriptedBucket(async () => Promise.reject(new Error('bus stopped (expected in this test)'))),
      events,
    );
    await eventually('step-down', () => !lease.isLeader(), TTL);
    expect(events).toEqual([true, false]);
  });
});
