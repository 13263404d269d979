import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { ack, createBus, DEFAULT_PUBLISH_TIMEOUT_MS, type Bus } from '../../internal/bus/index.js';
import { OutcomeUnknownError } from '../../internal/errors/index.js';
import { describeDurableBus } from '../conformance/durable-bus.js';
import { ensureStreams } from '../../internal/cluster/index.js';
import { subjects } from '../../proto/subjects.js';
import { requireServices, uniquePrefix } from '../support/env.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';
import { streamNamePrefix } from '../support/nats-queues.js';

const svc = requireServices(['nats']);
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Deletes the streams (and KV buckets) a test named with its prefix. */
async function deleteStreams(url: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(prefix) || name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

describe.skipIf(svc.skip)(svc.title('NatsBus (durable)'), () => {
  describeDurableBus('NatsBus', () => ({
    newBus: (nodeId, opts) => createBus({ kind: 'nats', servers: [svc.urls.nats], ...opts }, { nodeId, logger: quiet }),
    // The bus talks to nats-server through a proxy; kill() cuts it, as a dead node's socket closes.
    newKillableBus: async (nodeId) => {
      const proxy = await startTcpProxy(svc.urls.nats);
      const bus: Bus = createBus(
        { kind: 'nats', servers: [proxy.url], reconnectWaitMs: 100, drainTimeoutMs: 500 },
        { nodeId, logger: quiet },
      );
      await bus.start();
      return { bus, kill: () => proxy.cut() };
    },
    timing: { ackWaitMs: 1_000, ttlMs: 1_500 },
    cleanup: (prefix) => deleteStreams(svc.urls.nats, prefix),
  }));
});

describe.skipIf(svc.skip)(svc.title('NatsBus stream creation by nodes starting together'), () => {
  // nats-server 2.9 can answer a racing add "subjects overlap" instead of "name in use"; every
  // node must still start (seen in CI when three gateway nodes started at once).
  it('lets eight nodes ensure every stream at the same moment, three times over', async () => {
    const buses = Array.from({ length: 8 }, (_, i) =>
      createBus({ kind: 'nats', servers: [svc.urls.nats] }, { nodeId: `racer${i}`, logger: quiet }),
    );
    await Promise.all(buses.map((b) => b.start()));
    const prefixes: string[] = [];
    try {
      for (let round = 0; round < 3; round++) {
        const prefix = uniquePrefix('race');
        prefixes.push(streamNamePrefix(prefix));
        const names = subjects(prefix);
        await Promise.all(buses.map((b) => ensureStreams(b, names)));
      }
    } finally {
      await Promise.all(buses.map((b) => b.stop()));
      for (const p of prefixes) await deleteStreams(svc.urls.nats, p);
    }
  }, 60_000);

  it('lets eight nodes open one new KV bucket at the same moment, three times over', async () => {
    const buses = Array.from({ length: 8 }, (_, i) =>
      createBus({ kind: 'nats', servers: [svc.urls.nats] }, { nodeId: `kvracer${i}`, logger: quiet }),
    );
    await Promise.all(buses.map((b) => b.start()));
    const prefix = streamNamePrefix(uniquePrefix('kvrace'));
    try {
      for (let round = 0; round < 3; round++) {
        const bucket = `${prefix}bucket${round}`;
        const opened = await Promise.all(buses.map((b) => b.kv(bucket, { ttlMs: 3_600_000 })));
        expect(await opened[0]!.create('k', 'v')).not.toBeNull();
        expect((await opened[7]!.get('k'))?.value).toBe('v');
      }
    } finally {
      await Promise.all(buses.map((b) => b.stop()));
      await deleteStreams(svc.urls.nats, prefix);
    }
  }, 60_000);
});

describe.skipIf(svc.skip)(svc.title('NatsBus publish timeout'), () => {
  // A subscriber that never answers holds the publish until its PubAck wait ends.
  it('waits publishTimeoutMs for a PubAck that never comes, then says the outcome is unknown', async () => {
    const silent = await connect({ servers: svc.urls.nats });
    const subject = `${uniquePrefix('pubwait')}.x`;
    silent.subscribe(subject);
    await silent.flush();
    const bus = createBus({ kind: 'nats', servers: [svc.urls.nats], publishTimeoutMs: 300 }, { nodeId: 'pubwait', logger: quiet });
    await bus.start();
    try {
      const t0 = Date.now();
      await expect(bus.publishDurable(subject, new TextEncoder().encode('x'))).rejects.toBeInstanceOf(OutcomeUnknownError);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      expect(Date.now() - t0).toBeLessThan(DEFAULT_PUBLISH_TIMEOUT_MS / 2);
    } finally {
      await bus.stop();
      await silent.close();
    }
  });
});

describe.skipIf(svc.skip)(svc.title('NatsBus stopPulling'), () => {
  // A node's shutdown stops its components one after another; each consumer's stop waits for its
  // open pull to expire. stopPulling first lets every pull expire at once.
  it('ends the open pulls of every consumer together, and leaves new work to the other nodes', async () => {
    const prefix = uniquePrefix('stoppull').replace(/[^A-Za-z0-9_]/g, '_');
    const stopping = createBus({ kind: 'nats', servers: [svc.urls.nats] }, { nodeId: 'stopping', logger: quiet });
    const other = createBus({ kind: 'nats', servers: [svc.urls.nats] }, { nodeId: 'other', logger: quiet });
    await Promise.all([stopping.start(), other.start()]);
    try {
      await stopping.ensureStream({ name: prefix, subjects: [`${prefix}.>`], retention: 'workqueue' });
      const handledBy: string[] = [];
      const topics = Array.from({ length: 6 }, (_, i) => `t${i}`);
      const spec = (topic: string) => ({ stream: prefix, durable: `${prefix}_${topic}`, filterSubject: `${prefix}.${topic}` });
      const consumers = await Promise.all(topics.map((t) => stopping.consume(spec(t), async () => (handledBy.push('stopping'), ack))));
      await sleep(1_500); // every consumer has a pull open, each expiring at its own moment
      const started = Date.now();
      stopping.stopPulling!();
      for (const c of consumers) await c.stop();
      // One fetch expiry (1 s) at most, where stopping them in turn waits for each pull in turn.
      expect(Date.now() - started).toBeLessThan(1_800);
      await other.consume(spec('t0'), async () => (handledBy.push('other'), ack));
      await stopping.publishDurable(`${prefix}.t0`, new TextEncoder().encode('after'));
      await waitFor(() => handledBy.length === 1, 5_000);
      expect(handledBy).toEqual(['other']);
    } finally {
      await Promise.all([stopping.stop(), other.stop()]);
      await deleteStreams(svc.urls.nats, prefix);
    }
  }, 30_000);
});
