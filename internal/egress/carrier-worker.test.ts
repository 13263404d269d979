import { describe, expect, it } from 'vitest';
import { egressCodec, messageSchema, type Egress } from '../../proto/message.js';
import { subjects as makeSubjects } from '../../proto/subjects.js';
import type { Bus, DurableMsg } from '../bus/index.js';
import type { CarrierDriver } from '../carriers/index.js';
import { CarrierError, UnavailableError } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import { captureLogger, LogLevel } from '../../test/support/log-capture.js';
import { createMetrics } from '../metrics/index.js';
import { RecordWriter, type LegContext } from '../records/index.js';
import { SentRecorder, type FailureReporter } from '../router/index.js';
import type { Carrier, MessageRecord, RecordRepo } from '../store/index.js';
import { CarrierWorker, sendConcurrency } from './carrier-worker.js';

describe("a carrier leader's sends in flight", () => {
  it('are two seconds of its max_rps, at least 4 and at most 256', () => {
    expect(sendConcurrency(1)).toBe(4);
    expect(sendConcurrency(10)).toBe(20);
    expect(sendConcurrency(100)).toBe(200);
    expect(sendConcurrency(0.5)).toBe(4);
    expect(sendConcurrency(100_000)).toBe(256);
  });
});

/** A carrier, one SMS routed to it, and that SMS's bus delivery number `deliveryCount`. */
function carrierJob(prefix: string, carrier: Pick<Carrier, 'id' | 'name' | 'type' | 'uuid'>, messageId: string) {
  const subjects = makeSubjects(prefix);
  const egress: Egress = {
    v: 1,
    route: { kind: 'carrier', carrierId: carrier.id, carrierName: carrier.name },
    senderClientId: 1,
    message: messageSchema.parse({
      v: 1,
      id: messageId,
      type: 'sms',
      from: '+15550000001',
      to: '+15550000002',
      text: 'hi',
      origin: { kind: 'web', clientId: 1, node: 'n1' },
      receivedAt: 0,
    }),
  };
  const msg = (deliveryCount: number): DurableMsg => ({
    subject: subjects.msgOutCarrier(carrier.id),
    data: egressCodec.encode(egress),
    deliveryCount,
    seq: 1,
    working: () => undefined,
  });
  return { subjects, carrier: { ...carrier, maxRps: 100 } as Carrier, msg };
}

describe('a carrier send whose record cannot be written', () => {
  const { subjects, carrier, msg } = carrierJob(
    'cw',
    { id: 3, name: 'telnyx-main', type: 'telnyx', uuid: '0123456789abcdef01234567' },
    'm1',
  );

  it('is not sent again on redelivery while database and bus are down, and is recorded once the database is back', async () => {
    const stored: MessageRecord[] = [];
    const db = { down: true };
    const repo = {
      upsertMany: async (r: MessageRecord[]) => {
        if (db.down) throw new UnavailableError('the database is unavailable');
        stored.push(...r);
      },
    } as unknown as RecordRepo;
    const bus = {
      publishDurable: async () => {
        throw new UnavailableError('the bus is unavailable');
      },
    } as unknown as Bus;
    const records = new RecordWriter(repo, { flushMs: 1 });
    const legs: LegContext = { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false };
    let sends = 0;
    const driver = { send: async () => ({ carrierMsgId: `c-${++sends}` }) } as unknown as CarrierDriver;
    const worker = new CarrierWorker(
      { carrierId: 3, subjects, serverAddress: 'http://gw.example', retries: 3, timeoutMs: 1_000, retryDelayMs: 10 },
      {
        bus,
        carrier: () => carrier,
        driver: () => driver,
        records,
        legs,
        logger: silentLogger(),
        sent: new SentRecorder({ subjects }, { bus, records, legs, client: () => undefined, logger: silentLogger() }),
        sentBefore: async () => {
          if (db.down) throw new UnavailableError('the database is unavailable');
          return stored.some((r) => r.carrierMsgId !== '');
        },
        failures: { report: async () => undefined } as unknown as FailureReporter,
        metrics: createMetrics({ serverId: 'n1', defaultMetrics: false }),
      },
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

describe('a carrier send in flight when its worker stops (the lease was lost, or the node stops)', () => {
  const { subjects, carrier, msg } = carrierJob(
    'cws',
    { id: 5, name: 'telnyx-main', type: 'telnyx', uuid: 'aaaaaaaaaaaaaaaaaaaaaaaa' },
    'm3',
  );

  it('runs on through the drain and is recorded, so its redelivery to the next leader is not sent again', async () => {
    const stored: MessageRecord[] = [];
    const repo = { upsertMany: async (r: MessageRecord[]) => void stored.push(...r) } as unknown as RecordRepo;
    const records = new RecordWriter(repo, { flushMs: 1 });
    const legs: LegContext = { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false };
    let received = 0;
    // Like the HTTP client: the carrier has the request as soon as it is written; an abort only loses its answer.
    const driver = {
      send: (_m: unknown, _c: unknown, ctx: { signal: AbortSignal }) => {
        const n = ++received;
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => resolve({ carrierMsgId: `c-${n}` }), 50);
          ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('aborted'))));
        });
      },
    } as unknown as CarrierDriver;
    const handling: Array<Promise<unknown>> = [];
    // The consumer's stop drains: it waits for the handlers it started.
    const bus = {
      consume: async () => ({ stop: async () => void (await Promise.allSettled(handling)) }),
    } as unknown as Bus;
    const worker = () =>
      new CarrierWorker(
        { carrierId: 5, subjects, serverAddress: 'http://gw.example', retries: 3, timeoutMs: 1_000, retryDelayMs: 10 },
        {
          bus,
          carrier: () => carrier,
          driver: () => driver,
          records,
          legs,
          logger: silentLogger(),
          sent: new SentRecorder({ subjects }, { bus, records, legs, client: () => undefined, logger: silentLogger() }),
          sentBefore: async (id) => stored.some((r) => r.messageId === id && r.carrierMsgId !== ''),
          failures: { report: async () => undefined } as unknown as FailureReporter,
          metrics: createMetrics({ serverId: 'n1', defaultMetrics: false }),
        },
      );
    const leader = worker();
    await leader.start();
    const first = leader.handle(msg(1));
    handling.push(first);
    await new Promise((r) => setTimeout(r, 10));
    expect(received).toBe(1);
    await leader.stop();
    expect(await first).toEqual({ kind: 'ack' });
    expect(stored.map((r) => [r.messageId, r.status, r.carrierMsgId])).toEqual([['m3', 'sent', 'c-1']]);
    // Whatever the stop left unacknowledged comes back to the next leader, which finds the record.
    const next = worker();
    expect(await next.handle(msg(2))).toEqual({ kind: 'ack' });
    expect(received).toBe(1);
    // A job the stopping worker had not sent yet is given back, not sent.
    expect((await leader.handle(msg(1))).kind).toBe('retry');
    expect(received).toBe(1);
    await next.stop();
  });
});

describe("a carrier send's metrics and log events", () => {
  const { subjects, carrier, msg } = carrierJob(
    'cwm',
    { id: 4, name: 'twilio-main', type: 'twilio', uuid: 'fedcba9876543210fedcba98' },
    'm2',
  );

  it('counts each failed attempt by HTTP status and logs an accepted message as SmsSent, an opted-out one as Blocked due to STOP message', async () => {
    const answers: Array<() => Promise<{ carrierMsgId: string }>> = [
      async () => {
        throw new CarrierError('HTTP 503', { retryable: true, status: 503 });
      },
      async () => {
        throw new CarrierError('HTTP 418', { retryable: true, status: 418 });
      },
      async () => ({ carrierMsgId: 'SM1' }),
      async () => {
        throw new CarrierError('HTTP 400 code 21610', { retryable: false, status: 400, optOut: true });
      },
    ];
    const driver = { send: () => answers.shift()!() } as unknown as CarrierDriver;
    const metrics = createMetrics({ serverId: 'n1', defaultMetrics: false });
    const { logger, event } = captureLogger();
    const bus = { publishDurable: async () => ({ stream: 'x', seq: 1, duplicate: false }) } as unknown as Bus;
    const repo = { upsertMany: async () => undefined } as unknown as RecordRepo;
    const records = new RecordWriter(repo, { flushMs: 1 });
    const legs: LegContext = { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false };
    const worker = new CarrierWorker(
      { carrierId: 4, subjects, serverAddress: 'http://gw.example', retries: 3, timeoutMs: 1_000, retryDelayMs: 10 },
      {
        bus,
        carrier: () => carrier,
        driver: () => driver,
        records,
        legs,
        logger,
        metrics,
        sent: new SentRecorder({ subjects }, { bus, records, legs, client: () => undefined, logger }),
        sentBefore: async () => false,
        failures: { report: async () => undefined } as unknown as FailureReporter,
      },
    );
    expect((await worker.handle(msg(1))).kind).toBe('retry');
    expect((await worker.handle(msg(2))).kind).toBe('retry');
    expect((await worker.handle(msg(3))).kind).toBe('ack');
    expect((await worker.handle(msg(1))).kind).toBe('term');
    await worker.stop();

    const errors = (await metrics.carrierErrors.get()).values.map((v) => [v.labels.carrier, v.labels.code, v.value]);
    expect(errors).toEqual([
      ['twilio-main', '503', 1],
      ['twilio-main', '4xx', 1],
      ['twilio-main', '400', 1],
    ]);
    const latency = (await metrics.egressLatency.get()).values.find((v) => v.metricName === 'msggw_egress_latency_seconds_count');
    expect(latency?.value).toBe(4);
    expect(event('Successfully sent SMS')).toMatchObject({ level: LogLevel.debug, carrier: 'twilio-main', carrierMsgId: 'SM1' });
    expect(event('Blocked due to STOP message')).toMatchObject({ level: LogLevel.warn, id: 'm2' });
  });
});
