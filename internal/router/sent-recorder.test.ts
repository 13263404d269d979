import { describe, expect, it } from 'vitest';
import { sentRecordCodec } from '../../proto/sent-record.js';
import { subjects as makeSubjects } from '../../proto/subjects.js';
import { messageSchema } from '../../proto/message.js';
import { UnavailableError, ValidationError } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import { RecordWriter, type LegContext } from '../records/index.js';
import type { MessageRecord, RecordRepo } from '../store/index.js';
import { SentRecorder, type SentRecord } from './sent-recorder.js';

const subjects = makeSubjects('sr');
const legs: LegContext = { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false };

/** A ledger that fails as told: 'down' (outage), 'refuses' (bad data) or 'up'. */
function ledger() {
  const stored: MessageRecord[] = [];
  const state = { mode: 'up' as 'up' | 'down' | 'refuses' };
  const repo = {
    upsertMany: async (records: MessageRecord[]) => {
      if (state.mode === 'down') throw new UnavailableError('the database is unavailable');
      if (state.mode === 'refuses') throw new ValidationError('the database refused a value');
      stored.push(...records);
    },
  } as unknown as RecordRepo;
  return { records: new RecordWriter(repo, { flushMs: 1 }), stored, state };
}

/** A bus whose durable publish works or fails as told, recording what it stored. */
function bus() {
  const published: Array<{ subject: string; data: Uint8Array; msgId?: string }> = [];
  const state = { up: true };
  return {
    published,
    state,
    bus: {
      publishDurable: async (subject: string, data: Uint8Array, opts?: { msgId?: string }) => {
        if (!state.up) throw new UnavailableError('the bus is unavailable');
        published.push({ subject, data, msgId: opts?.msgId });
        return { stream: 's', seq: published.length, duplicate: false };
      },
    },
  };
}

const sentRecord = (id: string): SentRecord => ({
  v: 1,
  status: 'sent',
  carrierMsgId: `c-${id}`,
  reportDelivered: false,
  egress: {
    v: 1,
    route: { kind: 'carrier', carrierId: 3, carrierName: 'telnyx' },
    senderClientId: 1,
    message: messageSchema.parse({
      v: 1,
      id,
      type: 'sms',
      from: '+15550000001',
      to: '+15550000002',
      text: 'hi',
      origin: { kind: 'web', clientId: 1, node: 'n1' },
      receivedAt: 0,
    }),
  },
});

describe('SentRecorder', () => {
  it('writes the legs and acks when the ledger takes them', async () => {
    const l = ledger();
    const b = bus();
    const recorder = new SentRecorder(
      { subjects },
      { bus: b.bus, records: l.records, legs, client: () => undefined, logger: silentLogger() },
    );
    expect(await recorder.recorded(sentRecord('m1'))).toEqual({ kind: 'ack' });
    expect(l.stored.map((r) => [r.messageId, r.status, r.carrierMsgId])).toEqual([['m1', 'sent', 'c-m1']]);
    expect(b.published).toEqual([]);
  });

  it('hands the record to the ledger repair and acks when the database is down', async () => {
    const l = ledger();
    const b = bus();
    l.state.mode = 'down';
    const recorder = new SentRecorder(
      { subjects },
      { bus: b.bus, records: l.records, legs, client: () => undefined, logger: silentLogger() },
    );
    expect(await recorder.recorded(sentRecord('m1'))).toEqual({ kind: 'ack' });
    expect(b.published.map((p) => [p.subject, p.msgId])).toEqual([[subjects.ledgerRepair, 'm1:ledger:sent']]);
    expect(sentRecordCodec.decode(b.published[0]!.data)).toEqual(sentRecord('m1'));
    expect(recorder.sentHere('m1')).toBeUndefined();
  });

  it('remembers the send and asks for the job back when the bus is down too, then records it', async () => {
    const l = ledger();
    const b = bus();
    l.state.mode = 'down';
    b.state.up = false;
    const recorder = new SentRecorder(
      { subjects },
      { bus: b.bus, records: l.records, legs, client: () => undefined, logger: silentLogger() },
    );
    expect((await recorder.recorded(sentRecord('m1'))).kind).toBe('retry');
    expect(recorder.sentHere('m1')).toEqual(sentRecord('m1'));
    l.state.mode = 'up';
    expect(await recorder.recorded(recorder.sentHere('m1')!)).toEqual({ kind: 'ack' });
    expect(recorder.sentHere('m1')).toBeUndefined();
    expect(l.stored.map((r) => r.carrierMsgId)).toEqual(['c-m1']);
  });

  it('remembers at most maxRemembered sends, forgetting the oldest', async () => {
    const l = ledger();
    const b = bus();
    l.state.mode = 'down';
    b.state.up = false;
    const recorder = new SentRecorder(
      { subjects, maxRemembered: 2 },
      { bus: b.bus, records: l.records, legs, client: () => undefined, logger: silentLogger() },
    );
    for (const id of ['m1', 'm2', 'm3']) await recorder.recorded(sentRecord(id));
    expect(['m1', 'm2', 'm3'].map((id) => recorder.sentHere(id) !== undefined)).toEqual([false, true, true]);
  });

  it('acks without handing over a record the database refuses for its data (it would be refused again)', async () => {
    const l = ledger();
    const b = bus();
    l.state.mode = 'refuses';
    const recorder = new SentRecorder(
      { subjects },
      { bus: b.bus, records: l.records, legs, client: () => undefined, logger: silentLogger() },
    );
    expect(await recorder.recorded(sentRecord('m1'))).toEqual({ kind: 'ack' });
    expect(b.published).toEqual([]);
  });
});
