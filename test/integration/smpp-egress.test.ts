/**
 * The deliver_sm egress on a real nats-server: a client's durable consumer appears with its
 * first bind, messages wait in the stream while the client is bound nowhere, and they flow in
 * order when it binds again, on any node. Receipt details survive the real database.
 */
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterEach, describe, expect, it } from 'vitest';
import { createBus } from '../../internal/bus/index.js';
import { EgressHarness, eventually, RECEIVER, SENDER } from '../support/smpp-egress-harness.js';
import { createStore } from '../../internal/store/index.js';
import type { MessageRecord } from '../../internal/store/index.js';
import { decodeGsm7Unpacked } from '../../internal/text/index.js';
import { requireServices, uniquePrefix } from '../support/env.js';
import { storeDeps } from './admin-api/harness.js';

const svc = requireServices(['nats']);
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Deletes the streams and KV buckets whose names start with the test's prefix. */
async function deleteStreams(url: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const upper = prefix.toUpperCase();
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(upper) || name.startsWith(`KV_${upper}`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

/** Whether the durable consumer exists on the server. */
async function consumerExists(url: string, stream: string, durable: string): Promise<boolean> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    return await jsm.consumers.info(stream, durable).then(
      () => true,
      () => false,
    );
  } finally {
    await nc.close();
  }
}

const texts = (h: EgressHarness) => h.delivered.map((d) => decodeGsm7Unpacked(d.part.shortMessage));

describe.skipIf(svc.skip)(svc.title('SMPP egress on nats-server'), () => {
  const started: EgressHarness[] = [];
  let prefix = '';

  async function node(nodeId: string, options: { queueMaxAgeMs?: number; startEgress?: boolean } = {}): Promise<EgressHarness> {
    const bus = createBus({ kind: 'nats', servers: [svc.urls.nats], drainTimeoutMs: 2_000 }, { nodeId, logger: quiet });
    const h = new EgressHarness({ bus, prefix, nodeId, windowSize: 1, queueMaxAgeMs: options.queueMaxAgeMs, sweepIntervalMs: 100 });
    started.push(h);
    return h.start({ startEgress: options.startEgress });
  }

  afterEach(async () => {
    await Promise.all(started.splice(0).map((h) => h.stop()));
    await deleteStreams(svc.urls.nats, prefix);
  });

  it('never resends a deliver_sm the client answered OK while the ledger is down; the ledger repair records it later', async () => {
    prefix = uniquePrefix('smppeg');
    const a = await node('node-a');
    a.records.down = true;
    a.bind();
    const egress = await a.publishMessage({ text: 'once only', smpp: { registeredDelivery: 1 } });
    await eventually(async () => expect(await a.pending()).toBe(0), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(texts(a)).toEqual(['once only']);
    expect(await a.pending(SENDER)).toBe(0);
    a.records.down = false;
    await eventually(() => expect(a.records.status(egress.message.id, RECEIVER, 'inbound')).toBe('delivered'), 15_000);
    // The sender's receipt job follows its record (the ledger repair writes, then tells the sender).
    await eventually(async () => expect(await a.pending(SENDER)).toBe(1), 10_000);
    expect(texts(a)).toEqual(['once only']);
  });

  it("creates the client's consumer on its first bind, keeps messages while unbound, and resumes in order on another node", async () => {
    prefix = uniquePrefix('smppeg');
    const a = await node('node-a');
    const stream = a.subjects.streams.smpp;
    for (let i = 0; i < 3; i++) await a.publishMessage({ text: `first ${i}` });
    await new Promise((r) => setTimeout(r, 300));
    expect(await a.pending()).toBe(3);
    expect(await consumerExists(svc.urls.nats, stream, `smpp-${RECEIVER}`)).toBe(false);

    const session = a.bind();
    await eventually(() => expect(texts(a)).toEqual(['first 0', 'first 1', 'first 2']), 10_000);
    expect(await consumerExists(svc.urls.nats, stream, `smpp-${RECEIVER}`)).toBe(true);
    await eventually(async () => expect(await a.pending()).toBe(0), 10_000);

    a.unbind(session);
    await eventually(() => expect(a.egress.concurrency(RECEIVER)).toBe(0));
    for (let i = 0; i < 4; i++) await a.publishMessage({ text: `later ${i}` });
    await new Promise((r) => setTimeout(r, 500));
    expect(await a.pending()).toBe(4);
    expect(texts(a)).toHaveLength(3);

    const b = await node('node-b');
    b.bind();
    await eventually(() => expect(texts(b)).toEqual(['later 0', 'later 1', 'later 2', 'later 3']), 10_000);
    await eventually(async () => expect(await b.pending()).toBe(0), 10_000);
    expect(texts(a)).toHaveLength(3);
  });

  it("spreads one client's queue over binds on two nodes through the shared durable", async () => {
    prefix = uniquePrefix('smppeg');
    const a = await node('node-a');
    const b = await node('node-b');
    const sa = a.bind();
    const sb = b.bind();
    sa.fallback = { delayMs: 20 };
    sb.fallback = { delayMs: 20 };
    for (let i = 0; i < 20; i++) await a.publishMessage({ text: `m${i}` });
    await eventually(() => expect(texts(a).length + texts(b).length).toBe(20), 15_000);
    expect(texts(a).length).toBeGreaterThan(0);
    expect(texts(b).length).toBeGreaterThan(0);
    expect(new Set([...texts(a), ...texts(b)]).size).toBe(20);
  });
});

describe.skipIf(svc.skip)(svc.title('SMPP queue sweeper on nats-server'), () => {
  let h: EgressHarness | undefined;
  let prefix = '';
  afterEach(async () => {
    await h?.stop();
    await deleteStreams(svc.urls.nats, prefix);
  });

  it("reports what outlived the queue's max age for a client bound nowhere, and leaves the rest waiting", async () => {
    prefix = uniquePrefix('smppsw');
    const bus = createBus({ kind: 'nats', servers: [svc.urls.nats], drainTimeoutMs: 2_000 }, { nodeId: 'sweeper', logger: quiet });
    h = await new EgressHarness({ bus, prefix, nodeId: 'sweeper', queueMaxAgeMs: 60_000, sweepIntervalMs: 100 }).start({
      startEgress: false,
    });
    const old = await h.publishMessage({ receivedAt: Date.now() - 120_000 });
    await h.publishMessage({ text: 'fresh' });
    await h.egress.start();
    await eventually(() => expect(h!.statusEvents.map((e) => [e.messageId, e.status])).toEqual([[old.message.id, 'expired']]), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(await h.pending()).toBe(1);
    expect(h.statusEvents).toHaveLength(1);
  });
});

describe('message records keep SMPP receipt details (PGlite)', () => {
  it('stores registered_delivery and part ids, and a later write without them keeps them', async () => {
    const store = await createStore({ driver: 'pglite' }, storeDeps());
    try {
      await store.migrate();
      const leg: MessageRecord = {
        messageId: 'm1',
        clientId: 1,
        direction: 'outbound',
        to: '+15550000002',
        from: '+15550000001',
        receivedTimestamp: new Date(1_000),
        type: 'sms',
        carrier: '',
        carrierId: 0,
        internal: false,
        logId: 'm1',
        serverId: 'n1',
        fromClientType: 'legacy',
        toClientType: 'carrier',
        deliveryMethod: 'carrier_api',
        sourceIp: '',
        encoding: 'gsm7',
        totalSegments: 2,
        originalBytesLength: 5,
        originalSizeBytes: 0,
        transcodedSizeBytes: 0,
        mediaCount: 0,
        transcodingPerformed: false,
        status: 'queued',
        carrierMsgId: '',
        error: '',
        textPreview: 'hello',
        registeredDelivery: 1,
        smppPartIds: ['m1', 'm1b', 'm1c'],
      };
      await store.records.upsertMany([leg]);
      await store.records.upsertMany([{ ...leg, status: 'delivered', registeredDelivery: undefined, smppPartIds: undefined }]);
      const [stored] = await store.records.byMessageId('m1');
      expect(stored).toMatchObject({ status: 'delivered', registeredDelivery: 1, smppPartIds: ['m1', 'm1b', 'm1c'] });
    } finally {
      await store.close();
    }
  });
});
