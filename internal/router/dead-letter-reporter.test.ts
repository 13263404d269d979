import { afterEach, describe, expect, it } from 'vitest';
import { deadLetter, deadLetterCodec, deadLetterMsgId } from '../../proto/dead-letter.js';
import { deliveryJobCodec } from '../../proto/delivery.js';
import { egressCodec, type Egress } from '../../proto/message.js';
import { subjects as makeSubjects, type Subjects } from '../../proto/subjects.js';
import { createBus, type Bus } from '../bus/index.js';
import { ensureStreams } from '../cluster/index.js';
import { silentLogger } from '../log/index.js';
import { createMetrics, type Metrics } from '../metrics/index.js';
import { DeadLetterReporter } from './dead-letter-reporter.js';
import type { Failure } from './failures.js';
import { msg } from '../../test/support/router-fixtures.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Polls `check` until it stops throwing (3 s at most). */
async function eventually(check: () => void | Promise<void>): Promise<void> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

interface Setup {
  bus: Bus;
  s: Subjects;
  metrics: Metrics;
  reports: Failure[];
  reporter: DeadLetterReporter;
}
const running: Setup[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.reporter.stop();
    await r.bus.stop();
  }
});

async function setup(): Promise<Setup> {
  const bus = createBus({ kind: 'memory' }, { nodeId: 'n1', logger: quiet });
  await bus.start();
  const s = makeSubjects('dlr');
  await ensureStreams(bus, s);
  const metrics = createMetrics({ serverId: 'n1', defaultMetrics: false });
  const reports: Failure[] = [];
  const reporter = new DeadLetterReporter(
    { subjects: s },
    { bus, metrics, logger: silentLogger(), failures: { report: async (f) => void reports.push(f) } },
  );
  await reporter.start();
  const setup = { bus, s, metrics, reports, reporter };
  running.push(setup);
  return setup;
}

const egress = (id: string): Egress => ({
  v: 1,
  message: msg({ id, from: '+15550001000', to: '+15559990001' }),
  route: { kind: 'carrier', carrierId: 3, carrierName: 'telnyx' },
  senderClientId: 1,
});

/** Stores a dead letter as a consumer of `stream` would. */
async function giveUp(t: Setup, stream: string, subject: string, seq: number, payload: Uint8Array): Promise<void> {
  const letter = deadLetter({ stream, consumer: 'c', subject, seq, deliveries: 5, reason: 'error', at: Date.now() }, payload);
  await t.bus.publishDurable(t.s.deadLetter(stream), deadLetterCodec.encode(letter), { msgId: deadLetterMsgId(stream, seq) });
}

async function counted(t: Setup, stream: string, reason: string): Promise<number> {
  const m = await t.metrics.registry.getSingleMetric('msggw_dead_letters_total')!.get();
  return m.values.find((v) => v.labels.stream === stream && v.labels.reason === reason)?.value ?? 0;
}

describe('DeadLetterReporter', () => {
  it('reports a dead-lettered carrier job to its sender as failed, with the reason', async () => {
    const t = await setup();
    await giveUp(t, t.s.streams.carrier, t.s.msgOutCarrier(3), 7, egressCodec.encode(egress('m1')));
    await eventually(() => expect(t.reports).toHaveLength(1));
    expect(t.reports[0]).toMatchObject({ senderClientId: 1, message: { id: 'm1' }, egress: { route: { kind: 'carrier' } } });
    expect(t.reports[0]!.reason).toMatch(/given up after 5 deliveries/);
    expect(t.reports[0]!.status).toBeUndefined();
    expect(await counted(t, 'carrier', 'error')).toBe(1);
  });

  it('reports a message once, even when it is dead-lettered again (after a replay)', async () => {
    const t = await setup();
    await giveUp(t, t.s.streams.carrier, t.s.msgOutCarrier(3), 7, egressCodec.encode(egress('m2')));
    await eventually(() => expect(t.reports).toHaveLength(1));
    await giveUp(t, t.s.streams.carrier, t.s.msgOutCarrier(3), 9, egressCodec.encode(egress('m2')));
    await eventually(async () => expect(await counted(t, 'carrier', 'error')).toBe(2));
    await eventually(async () => expect(await t.bus.pending(t.s.streams.deadLetter)).toBe(2));
    expect(t.reports).toHaveLength(1);
  });

  it('reports routed messages of the client egresses, and only counts status jobs', async () => {
    const t = await setup();
    const message = deliveryJobCodec.encode({ v: 1, kind: 'message', egress: { ...egress('m3'), route: { kind: 'smpp', clientId: 2 } } });
    const receipt = deliveryJobCodec.encode({
      v: 1,
      kind: 'status',
      clientId: 1,
      event: {
        v: 1,
        messageId: 'm4',
        status: 'delivered',
        clientId: 1,
        from: '+15550001000',
        to: '+15559990001',
        at: 1,
      },
    });
    await giveUp(t, t.s.streams.smpp, t.s.msgOutSmpp(2), 1, receipt);
    await giveUp(t, t.s.streams.smpp, t.s.msgOutSmpp(2), 2, message);
    await eventually(() => expect(t.reports.map((r) => r.message.id)).toEqual(['m3']));
    await eventually(async () => expect(await counted(t, 'smpp', 'error')).toBe(2));
  });

  it('skips a letter whose payload it cannot read, counting it', async () => {
    const t = await setup();
    await giveUp(t, t.s.streams.webhook, t.s.msgOutWebhook(2), 1, new TextEncoder().encode('not json'));
    await eventually(async () => expect(await counted(t, 'webhook', 'error')).toBe(1));
    expect(t.reports).toEqual([]);
  });
});
