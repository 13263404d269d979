import { afterEach, describe, expect, it } from 'vitest';
import { subjects as makeSubjects } from '../../proto/subjects.js';
import { ack, createBus, type Bus } from '../bus/index.js';
import { readQueues } from './queue-depth.js';
import { ensureStreams } from './streams.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const s = makeSubjects('qd');
const bytes = (t: string) => new TextEncoder().encode(t);
const clients = { client: (id: number) => (id === 7 ? { username: 'acme' } : undefined) };
let bus: Bus;

afterEach(async () => {
  await bus?.stop();
});

describe('readQueues', () => {
  it("reads every stage, each consumer's position, each client's queue by username and the dead letters by stage", async () => {
    bus = createBus({ kind: 'memory' }, { nodeId: 'n1', logger: quiet });
    await bus.start();
    await ensureStreams(bus, s);
    await bus.publishDurable(s.msgOutWebhook(7), bytes('a'));
    await bus.publishDurable(s.msgOutWebhook(7), bytes('b'));
    await bus.publishDurable(s.msgOutSmpp(9), bytes('c'));
    await bus.publishDurable(s.deadLetter(s.streams.webhook), bytes('letter'));
    const consumer = await bus.consume(
      { stream: s.streams.carrier, durable: 'carrier-1', filterSubject: s.msgOutCarrier(1) },
      async () => ack,
    );

    const q = await readQueues(s, { bus, clients });
    await consumer.stop();
    expect(q.streams).toContainEqual({ stream: 'webhook', messages: 2 });
    expect(q.streams).toContainEqual({ stream: 'dead_letter', messages: 1 });
    expect(q.streams.map((x) => x.stream).sort()).toEqual([
      'batch',
      'carrier',
      'dead_letter',
      'in',
      'ledger',
      'media',
      'mm4',
      'smpp',
      'status',
      'webhook',
    ]);
    expect(q.consumers).toEqual([{ stream: 'carrier', consumer: 'carrier-1', pending: 0, ackPending: 0, redelivered: 0, ackFloor: 0 }]);
    expect(q.clients).toEqual([
      { protocol: 'smpp', client: 'id:9', messages: 1 },
      { protocol: 'webhook', client: 'acme', messages: 2 },
    ]);
    expect(q.deadLetters).toEqual([{ stream: 'webhook', messages: 1 }]);
  });

  it('leaves out a stage whose stream does not exist', async () => {
    bus = createBus({ kind: 'memory' }, { nodeId: 'n1', logger: quiet });
    await bus.start();
    expect(await readQueues(s, { bus, clients })).toEqual({ streams: [], consumers: [], clients: [], deadLetters: [] });
  });
});
