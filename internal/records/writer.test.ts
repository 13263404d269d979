import { describe, expect, it } from 'vitest';
import { UnavailableError, ValidationError } from '../errors/index.js';
import type { MessageRecord, RecordRepo } from '../store/index.js';
import { RecordWriter } from './writer.js';

/** A repo that records each upsertMany call (the writer's batching is pure logic). */
function recordingRepo(fail = false) {
  const calls: MessageRecord[][] = [];
  const repo = {
    upsertMany: async (records: MessageRecord[]) => {
      calls.push(records);
      if (fail) throw new Error('database down');
    },
  } as unknown as RecordRepo;
  return { repo, calls };
}

/** A repo that refuses, as PostgreSQL does, any batch holding a leg of message 'bad'. */
function pickyRepo() {
  const calls: MessageRecord[][] = [];
  const repo = {
    upsertMany: async (records: MessageRecord[]) => {
      calls.push(records);
      if (records.some((r) => r.messageId === 'bad')) throw new ValidationError('the database refused a value');
    },
  } as unknown as RecordRepo;
  return { repo, calls };
}

const leg = (messageId: string, status: MessageRecord['status'], direction: MessageRecord['direction'] = 'outbound') =>
  ({ messageId, clientId: 1, direction, status }) as MessageRecord;
const statuses = (batch: MessageRecord[]) => batch.map((r) => `${r.messageId}/${r.direction}:${r.status}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RecordWriter', () => {
  it('batches concurrent writes into one upsert', async () => {
    const { repo, calls } = recordingRepo();
    const writer = new RecordWriter(repo, { flushMs: 5 });
    await Promise.all([writer.write(leg('a', 'sent')), writer.write(leg('b', 'sent'), leg('c', 'sent'))]);
    expect(calls.map(statuses)).toEqual([['a/outbound:sent', 'b/outbound:sent', 'c/outbound:sent']]);
  });

  it('lets a later write of a held leg take it, so the two go out in one batch and nothing follows', async () => {
    const { repo, calls } = recordingRepo();
    const writer = new RecordWriter(repo, { flushMs: 1, holdMs: 40 });
    const held = writer.hold(leg('a', 'queued'), leg('a', 'queued', 'inbound'), leg('b', 'queued'));
    await writer.write(leg('a', 'sent'));
    expect(calls.map(statuses)).toEqual([['a/outbound:queued', 'a/outbound:sent']]);
    await held;
    // What no write took goes out when the hold ends, once.
    expect(calls.map(statuses)).toEqual([
      ['a/outbound:queued', 'a/outbound:sent'],
      ['a/inbound:queued', 'b/outbound:queued'],
    ]);
    await sleep(60);
    expect(calls).toHaveLength(2);
  });

  it('writes a held leg on its own after the hold', async () => {
    const { repo, calls } = recordingRepo();
    const writer = new RecordWriter(repo, { flushMs: 1, holdMs: 30 });
    const started = Date.now();
    await writer.hold(leg('a', 'queued'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(calls.map(statuses)).toEqual([['a/outbound:queued']]);
  });

  it('writes held legs at once on stop, and straight through after it', async () => {
    const { repo, calls } = recordingRepo();
    const writer = new RecordWriter(repo, { flushMs: 1, holdMs: 60_000 });
    const held = writer.hold(leg('a', 'queued'));
    await writer.stop();
    await held;
    expect(calls.map(statuses)).toEqual([['a/outbound:queued']]);
    await writer.hold(leg('b', 'queued'));
    expect(calls.map(statuses)).toEqual([['a/outbound:queued'], ['b/outbound:queued']]);
  });

  it('rejects a hold whose write failed, and a write that took a held leg fails with it', async () => {
    const { repo } = recordingRepo(true);
    const writer = new RecordWriter(repo, { flushMs: 1, holdMs: 5 });
    await expect(writer.hold(leg('a', 'queued'))).rejects.toThrow('database down');
    void writer.hold(leg('b', 'queued')).catch(() => undefined);
    await expect(writer.write(leg('b', 'sent'))).rejects.toThrow('database down');
  });

  it('writes directly when holding is turned off', async () => {
    const { repo, calls } = recordingRepo();
    const writer = new RecordWriter(repo, { flushMs: 1, holdMs: 0 });
    await writer.hold(leg('a', 'queued'));
    expect(calls.map(statuses)).toEqual([['a/outbound:queued']]);
  });

  it("retries each caller on its own when the database refuses a batch's data: only the bad one fails", async () => {
    const { repo, calls } = pickyRepo();
    const writer = new RecordWriter(repo, { flushMs: 5 });
    const results = await Promise.allSettled([
      writer.write(leg('a', 'sent')),
      writer.write(leg('bad', 'sent'), leg('bad', 'sent', 'inbound')),
      writer.write(leg('c', 'sent')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    expect(calls.map(statuses)).toEqual([
      ['a/outbound:sent', 'bad/outbound:sent', 'bad/inbound:sent', 'c/outbound:sent'],
      ['a/outbound:sent'],
      ['bad/outbound:sent', 'bad/inbound:sent'],
      ['c/outbound:sent'],
    ]);
  });

  it('keeps a held leg with the write that took it when the batch is retried caller by caller', async () => {
    const { repo, calls } = pickyRepo();
    const writer = new RecordWriter(repo, { flushMs: 5, holdMs: 60_000 });
    const held = writer.hold(leg('a', 'queued'));
    const results = await Promise.allSettled([writer.write(leg('a', 'sent')), writer.write(leg('bad', 'sent'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(calls.slice(1).map(statuses)).toEqual([['a/outbound:queued', 'a/outbound:sent'], ['bad/outbound:sent']]);
    await writer.stop();
    await held;
  });

  it('fails every caller of a batch at once when the database is down, without a query per caller', async () => {
    const calls: MessageRecord[][] = [];
    const repo = {
      upsertMany: async (records: MessageRecord[]) => {
        calls.push(records);
        throw new UnavailableError('the database is unavailable');
      },
    } as unknown as RecordRepo;
    const writer = new RecordWriter(repo, { flushMs: 5 });
    const results = await Promise.allSettled([writer.write(leg('a', 'sent')), writer.write(leg('b', 'sent'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toHaveLength(1);
  });

  it('fails the callers of a batch the database does not answer within writeTimeoutMs', async () => {
    const repo = { upsertMany: () => new Promise<void>(() => undefined) } as unknown as RecordRepo;
    const writer = new RecordWriter(repo, { flushMs: 1, writeTimeoutMs: 20 });
    await expect(writer.write(leg('a', 'sent'))).rejects.toBeInstanceOf(UnavailableError);
  });
});
