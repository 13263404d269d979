import { describe, expect, it } from 'vitest';
import { deliveryJobCodec, type DeliveryJob } from '../../proto/delivery.js';
import { statusCodec, statusEventSchema, type StatusEventInput } from '../../proto/status.js';
import { subjects as makeSubjects } from '../../proto/subjects.js';
import type { Bus, DurableMsg } from '../bus/index.js';
import { silentLogger } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import type { RecordWriter } from '../records/index.js';
import type { ClientDetails, StoredRecord } from '../store/index.js';
import { StatusRouter } from './status-router.js';

const s = makeSubjects();

function leg(partial: Partial<StoredRecord> = {}): StoredRecord {
  return {
    id: 1,
    messageId: 'm1',
    clientId: 1,
    direction: 'outbound',
    to: '+15550000002',
    from: '+15550000001',
    receivedTimestamp: new Date(1_000),
    type: 'sms',
    carrier: 'telnyx',
    carrierId: 3,
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
    status: 'sent',
    carrierMsgId: 'c1',
    error: '',
    textPreview: 'hello',
    updatedAt: new Date(2_000),
    registeredDelivery: 0,
    smppPartIds: [],
    ...partial,
  };
}

/** Routes one status event for a legacy (SMPP) sender whose record is `stored`; returns what was published. */
async function route(event: Partial<StatusEventInput>, stored: StoredRecord) {
  const published: Array<{ subject: string; job: DeliveryJob }> = [];
  const bus = {
    publishDurable: async (subject: string, data: Uint8Array) => {
      published.push({ subject, job: deliveryJobCodec.decode(data) });
      return { stream: 'x', seq: published.length, duplicate: false };
    },
  } as unknown as Bus;
  const router = new StatusRouter(
    { subjects: s },
    {
      bus,
      records: { write: async () => undefined } as unknown as RecordWriter,
      recordRepo: { byMessageId: async () => [stored], byCarrierMsgId: async () => stored },
      client: (id) => ({ id, type: 'legacy', username: `c${id}` }) as ClientDetails,
      logger: silentLogger(),
      metrics: createMetrics({ serverId: 'n1', defaultMetrics: false }),
    },
  );
  const msg: DurableMsg = {
    subject: s.status('m1'),
    seq: 1,
    deliveryCount: 1,
    working: () => undefined,
    data: statusCodec.encode(statusEventSchema.parse({ v: 1, messageId: 'm1', status: 'delivered', at: 5_000, ...event })),
  };
  expect(await router.handle(msg)).toEqual({ kind: 'ack' });
  return published;
}

describe('StatusRouter: SMPP receipts', () => {
  it('carries registered_delivery, part ids and the text preview from the record to the SMPP egress', async () => {
    const published = await route({}, leg({ registeredDelivery: 1, smppPartIds: ['m1', 'm1b'] }));
    expect(published).toHaveLength(1);
    expect(published[0].subject).toBe(s.msgOutSmpp(1));
    const job = published[0].job;
    expect(job.kind === 'status' && job.event).toMatchObject({
      messageId: 'm1',
      clientId: 1,
      registeredDelivery: 1,
      partIds: ['m1', 'm1b'],
      textPreview: 'hello',
      submittedAt: 1_000,
    });
  });

  it('publishes no receipt job when registered_delivery does not ask for this status', async () => {
    expect(await route({}, leg({ registeredDelivery: 0 }))).toHaveLength(0);
    expect(await route({ status: 'delivered' }, leg({ registeredDelivery: 2 }))).toHaveLength(0);
    expect(await route({ status: 'undelivered' }, leg({ registeredDelivery: 2 }))).toHaveLength(1);
  });
});

describe('StatusRouter: reports about messages a carrier sent', () => {
  it("records an MMSC's report on the receiver's leg at once and tells nobody", async () => {
    const written: StoredRecord[] = [];
    const published: string[] = [];
    const inbound = leg({
      direction: 'inbound',
      clientId: 4,
      fromClientType: 'carrier',
      toClientType: 'legacy',
      status: 'sent',
      type: 'mms',
    });
    const router = new StatusRouter(
      { subjects: s },
      {
        bus: {
          publishDurable: async (subject: string) => (published.push(subject), { stream: 'x', seq: 1, duplicate: false }),
        } as unknown as Bus,
        records: { write: async (...r: StoredRecord[]) => void written.push(...r) } as unknown as RecordWriter,
        recordRepo: { byMessageId: async () => [inbound], byCarrierMsgId: async () => undefined },
        client: (id) => ({ id, type: 'legacy', username: `c${id}` }) as ClientDetails,
        logger: silentLogger(),
        metrics: createMetrics({ serverId: 'n1', defaultMetrics: false }),
      },
    );
    const msg: DurableMsg = {
      subject: s.status('m1'),
      seq: 1,
      deliveryCount: 1,
      working: () => undefined,
      data: statusCodec.encode(statusEventSchema.parse({ v: 1, messageId: 'm1', status: 'delivered', at: 5_000 })),
    };
    expect(await router.handle(msg)).toEqual({ kind: 'ack' });
    expect(written).toEqual([expect.objectContaining({ messageId: 'm1', clientId: 4, direction: 'inbound', status: 'delivered' })]);
    expect(published).toEqual([]);
  });

  it("still waits for the sender's leg when only another client's inbound leg is there", async () => {
    const router = new StatusRouter(
      { subjects: s },
      {
        bus: {} as Bus,
        records: { write: async () => undefined } as unknown as RecordWriter,
        recordRepo: {
          byMessageId: async () => [leg({ direction: 'inbound', clientId: 4, fromClientType: 'web' })],
          byCarrierMsgId: async () => undefined,
        },
        client: () => undefined,
        logger: silentLogger(),
        metrics: createMetrics({ serverId: 'n1', defaultMetrics: false }),
      },
    );
    const msg: DurableMsg = {
      subject: s.status('m1'),
      seq: 1,
      deliveryCount: 1,
      working: () => undefined,
      data: statusCodec.encode(statusEventSchema.parse({ v: 1, messageId: 'm1', status: 'delivered', at: 5_000 })),
    };
    expect((await router.handle(msg)).kind).toBe('retry');
  });
});
