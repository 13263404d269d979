import { describe, expect, it } from 'vitest';
import { sentRecordCodec, type SentRecord } from '../../proto/sent-record.js';
import { deliveryJobCodec } from '../../proto/delivery.js';
import { subjects as makeSubjects } from '../../proto/subjects.js';
import { messageSchema } from '../../proto/message.js';
import type { Bus, DurableMsg } from '../bus/index.js';
import { UnavailableError, ValidationError } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import { RecordWriter, type LegContext } from '../records/index.js';
import type { MessageRecord, RecordRepo } from '../store/index.js';
import { LedgerRepair } from './ledger-repair.js';
import { client } from '../../test/support/router-fixtures.js';

const subjects = makeSubjects('lr');
const legs: LegContext = { serverId: 'n1', clientType: () => 'legacy', logPrivacy: () => false };
const sent: SentRecord = {
  v: 1,
  status: 'delivered',
  reportDelivered: true,
  egress: {
    v: 1,
    route: { kind: 'smpp', clientId: 2 },
    senderClientId: 1,
    receiverClientId: 2,
    message: messageSchema.parse({
      v: 1,
      id: 'm1',
      type: 'sms',
      from: '+15550000001',
      to: '+15550000002',
      text: 'hi',
      origin: { kind: 'smpp', clientId: 1, node: 'n1' },
      receivedAt: 0,
      smpp: { registeredDelivery: 1 },
    }),
  },
};
const msg = (deliveryCount: number): DurableMsg => ({
  subject: subjects.ledgerRepair,
  data: sentRecordCodec.encode(sent),
  deliveryCount,
  seq: 1,
  working: () => undefined,
});

function repair(fail: () => Error | undefined) {
  const stored: MessageRecord[] = [];
  const published: Array<[string, string]> = [];
  const repo = {
    upsertMany: async (r: MessageRecord[]) => {
      const err = fail();
      if (err) throw err;
      stored.push(...r);
    },
  } as unknown as RecordRepo;
  const bus = {
    publishDurable: async (subject: string, data: Uint8Array) => {
      const job = deliveryJobCodec.decode(data);
      published.push([subject, job.kind === 'status' ? job.event.status : job.kind]);
      return { stream: 's', seq: 1, duplicate: false };
    },
  } as unknown as Bus;
  const worker = new LedgerRepair(
    { subjects },
    {
      bus,
      records: new RecordWriter(repo, { flushMs: 1 }),
      legs,
      client: (id) => (id === 1 ? client(1, 'legacy', []) : undefined),
      logger: silentLogger(),
    },
  );
  return { worker, stored, published };
}

describe('LedgerRepair', () => {
  it('writes the legs, then hands the sender the receipt it asked for', async () => {
    const r = repair(() => undefined);
    expect(await r.worker.handle(msg(1))).toEqual({ kind: 'ack' });
    expect(r.stored.map((l) => [l.clientId, l.direction, l.status])).toEqual([
      [1, 'outbound', 'delivered'],
      [2, 'inbound', 'delivered'],
    ]);
    expect(r.published).toEqual([[subjects.msgOutSmpp(1), 'delivered']]);
  });

  it('retries while the database is down, however long', async () => {
    const r = repair(() => new UnavailableError('the database is unavailable'));
    expect((await r.worker.handle(msg(1))).kind).toBe('retry');
    expect((await r.worker.handle(msg(500))).kind).toBe('retry');
    expect(r.published).toEqual([]);
  });

  it('gives up on a record the database refuses for its data', async () => {
    const r = repair(() => new ValidationError('the database refused a value'));
    expect((await r.worker.handle(msg(1))).kind).toBe('term');
  });
});
