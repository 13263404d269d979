import { describe, expect, it } from 'vitest';
import { egressCodec, messageSchema, type Egress } from '../../proto/message.js';
import { subjects as makeSubjects } from '../../proto/subjects.js';
import type { Bus, DurableMsg } from '../bus/index.js';
import type { CarrierDriver } from '../carriers/index.js';
import { UnavailableError } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import { RecordWriter, type LegContext } from '../records/index.js';
import { SentRecorder, type FailureReporter } from '../router/index.js';
import type { Carrier, MessageRecord, RecordRepo } from '../store/index.js';
import { CarrierWorker, sendConcurrency } from './carrier-worker.js';

describe('a carrier leader\'s sends in flight', () => {
  it('are two seconds of its max_rps, at least 4 and at most 256', () => {
    expect(sendConcurrency(1)).toBe(4);
    expect(sendConcurrency(10)).toBe(20);
    expect(sendConcurrency(100)).toBe(200);
    expect(sendConcurrency(0.5)).toBe(4);
    expect(sendConcurrency(100_000)).toBe(256);
  });
});

describe('a carrier send whose record cannot be written', () => {
  const subjects = makeSubjects('cw');
  const carrier = { id: 3, name: 'telnyx-main', type: 'telnyx', uuid: '0123456789abcdef01234567', maxRps: 100 } as Carrier;
  const egress: Egress = {
    v: 1, route: { kind: 'carrier', carrierId: 3, carrierName: 'telnyx-main' }, senderClientId: 1,
    message: messageSchema.parse({ v: 1, id: 'm1', type: 'sms', from: '+15550000001', to: '+15550000002', text: 'hi',
      origin: { kind: 'web', clientId: 1, node: 'n1' }, receivedAt: 0 }),
  };
  const msg = (deliveryCount: number): DurableMsg =>
    ({ subject: subjects.msgOutCarrier(3), data: egressCodec.encode(egress), deliveryCount, seq: 1, working: () => undefined });

  it('is not sent again on redelivery while database and bus are down, and is recorded once the database is back', async () => {
    const stored: MessageRecord[] = [];
    const db = { down: true };
    const repo = { upsertMany: async (r: MessageRecord[]) => {
      if (db.down) throw new UnavailableError('the database is unavailable');
      stored.push(...r);
    } } as unknown as RecordRepo;
    const bus = { publishDurable: async () => {
      throw new UnavailableError('the bus is unavailable');
    } } as unknown as Bus;
    const records = new RecordWriter(repo, { flushMs: 1 });
    const legs: LegContext = { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false };
    let sends = 0;
    const driver = { send: async () => ({ carrierMsgId: `c-${++sends}` }) } as unknown as CarrierDriver;
    const worker = new CarrierWorker(
      { carrierId: 3, subjects, serverAddress: 'http://gw.example', retries: 3, timeoutMs: 1_000, retryDelayMs: 10 },
      { bus, carrier: () => carrier, driver: () => driver, records, legs, logger: silentLogger(),
        sent: new SentRecorder({ subjects }, { bus, records, legs, client: () => undefined, logger: silentLogger() }),
        sentBefore: async () => {
          if (db.down) throw new UnavailableError('the database is unavailable');
          return stored.some((r) => r.carrierMsgId !== '');
        },
        failures: { report: async () => undefined } as unknown as FailureReporter,
        metrics: createMetrics({ serverId: 'n1', defaultMetrics: false }) },
    );
    expect((await worker.handle(msg(1))).kind).toBe('retry');
    expect((await worker.handle(msg(2))).kind).toBe('retry');
    db.down = false;
    expect(await worker.handle(msg(3))).toEqual({ kind: 'ack' });
    expect(sends).toBe(1);
    expect(stored.map((r) => [r.messageId, r.status, r.carrierMsgId])).toEqual([['m1', 'sent', 'c-1']]);
    await worker.stop();
  });
});
