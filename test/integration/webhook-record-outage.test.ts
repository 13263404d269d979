/**
 * Webhook egress while the ledger cannot be written: a webhook the client's server took (2xx)
 * is never posted again because its record failed; the ledger repair records it once the
 * database takes writes again. On the MemoryBus and on a real nats-server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryJobCodec } from '../../proto/delivery.js';
import { messageSchema, type Egress } from '../../proto/message.js';
import { subjects as makeSubjects } from '../../proto/subjects.js';
import { createBus, type Bus } from '../../internal/bus/index.js';
import { ensureStreams } from '../../internal/cluster/index.js';
import { WebhookWorker } from '../../internal/egress/index.js';
import { silentLogger } from '../../internal/log/index.js';
import { createMetrics } from '../../internal/metrics/index.js';
import { RecordWriter, type LegContext } from '../../internal/records/index.js';
import { FailureReporter, LedgerRepair, SentRecorder } from '../../internal/router/index.js';
import { eventually, legacyClient, MemoryRecords } from '../support/smpp-egress-harness.js';
import type { RecordRepo } from '../../internal/store/index.js';
import { requireServices, uniquePrefix } from '../support/env.js';

const svc = requireServices(['nats']);
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const SENDER = 1;
const RECEIVER = 2;
const HOOK = 'http://hooks.example/in';

const buses = [
  {
    name: 'MemoryBus',
    skip: false,
    make: (): Bus => createBus({ kind: 'memory', drainTimeoutMs: 2_000 }, { nodeId: 'n1', logger: quiet }),
  },
  {
    name: 'nats-server',
    skip: svc.skip,
    make: (): Bus => createBus({ kind: 'nats', servers: [svc.urls.nats], drainTimeoutMs: 2_000 }, { nodeId: 'n1', logger: quiet }),
  },
];

describe.each(buses)('webhook egress with the ledger down, on $name', ({ skip, make }) => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  async function setup() {
    const subjects = makeSubjects(uniquePrefix('whrec'));
    const bus = make();
    await bus.start();
    stops.push(() => bus.stop());
    await ensureStreams(bus, subjects);
    const repo = new MemoryRecords();
    const records = new RecordWriter(repo as unknown as RecordRepo, { flushMs: 1 });
    const legs: LegContext = { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false };
    const logger = silentLogger();
    const posts: string[] = [];
    const fakeFetch = (async (url: string | URL | Request) => {
      posts.push(String(url));
      return new Response('', { status: 200 });
    }) as typeof fetch;
    const client = { ...legacyClient(RECEIVER), type: 'web' as const };
    const sent = new SentRecorder({ subjects }, { bus, records, legs, client: () => undefined, logger });
    const repair = new LedgerRepair({ subjects }, { bus, records, legs, client: () => undefined, logger });
    const worker = new WebhookWorker(
      { subjects, retries: 3, timeoutMs: 1_000, retryDelayMs: 50, mediaBase64MaxBytes: 0 },
      {
        bus,
        client: (id) => (id === RECEIVER ? client : undefined),
        records,
        sent,
        legs,
        logger,
        media: { get: async () => undefined },
        failures: new FailureReporter({ nodeId: 'n1', notifySenderOnFailure: false, subjects }, { bus, records, legs }),
        metrics: createMetrics({ serverId: 'n1', defaultMetrics: false }),
        fetch: fakeFetch,
      },
    );
    await repair.start();
    stops.push(() => repair.stop());
    await worker.start();
    stops.push(() => worker.stop());
    const egress: Egress = {
      v: 1,
      route: { kind: 'webhook', clientId: RECEIVER, url: HOOK },
      senderClientId: SENDER,
      receiverClientId: RECEIVER,
      message: messageSchema.parse({
        v: 1,
        id: `m${Math.random().toString(36).slice(2, 10)}`,
        type: 'sms',
        from: '+15550000001',
        to: '+15550000002',
        text: 'once only',
        origin: { kind: 'web', clientId: SENDER, node: 'n1' },
        receivedAt: Date.now(),
      }),
    };
    const pending = () => bus.pending(subjects.streams.webhook);
    const publish = () => bus.publishDurable(subjects.msgOutWebhook(RECEIVER), deliveryJobCodec.encode({ v: 1, kind: 'message', egress }));
    return { repo, posts, egress, pending, publish };
  }

  it.skipIf(skip)('posts the webhook once, acks it, and records it delivered once the ledger is back', async () => {
    const { repo, posts, egress, pending, publish } = await setup();
    repo.down = true;
    await publish();
    await eventually(async () => expect(await pending()).toBe(0), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(posts).toEqual([HOOK]);
    expect(repo.status(egress.message.id, RECEIVER, 'inbound')).toBeUndefined();
    repo.down = false;
    await eventually(() => expect(repo.status(egress.message.id, RECEIVER, 'inbound')).toBe('delivered'), 15_000);
    expect(repo.status(egress.message.id, SENDER, 'outbound')).toBe('delivered');
    expect(posts).toEqual([HOOK]);
  });
});
