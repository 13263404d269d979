/**
 * The ledger's batched upsert (RecordRepo.upsertMany: one unnest() statement per batch) on both
 * drivers: values come back exactly, whatever characters they hold; a leg only moves forward;
 * legs of one batch merge; a full batch is one statement.
 */
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../internal/crypto/index.js';
import { RecordWriter } from '../../internal/records/index.js';
import { createStore, isPermanentDataError, type MessageRecord, type Store } from '../../internal/store/index.js';
import { createTestDatabase, requireServices } from '../support/env.js';

const svc = requireServices(['postgres']);
const secretBox = createSecretBox('record-store-key-0123456789abcdef');
const drivers = [
  { name: 'PGlite', skip: false, open: async () => createStore({ driver: 'pglite' }, { secretBox }) },
  {
    name: 'PostgreSQL',
    skip: svc.skip,
    open: async () => createStore({ driver: 'pg', url: await createTestDatabase('records') }, { secretBox }),
  },
];

let seq = 0;
function leg(overrides: Partial<MessageRecord> = {}): MessageRecord {
  const id = overrides.messageId ?? `msg-${++seq}`;
  return {
    messageId: id,
    clientId: 7,
    direction: 'outbound',
    to: '+15552000001',
    from: '+15550001000',
    receivedTimestamp: new Date('2026-11-28T08:00:00.123Z'),
    type: 'sms',
    carrier: 'telnyx-main',
    carrierId: 3,
    internal: false,
    logId: id,
    serverId: 'gw1',
    fromClientType: 'web',
    toClientType: 'carrier',
    deliveryMethod: 'carrier_api',
    sourceIp: '192.0.2.7',
    encoding: 'gsm7',
    totalSegments: 1,
    originalBytesLength: 11,
    originalSizeBytes: 0,
    transcodedSizeBytes: 0,
    mediaCount: 0,
    transcodingPerformed: false,
    status: 'queued',
    carrierMsgId: '',
    error: '',
    textPreview: 'hello world',
    registeredDelivery: 0,
    smppPartIds: [],
    ...overrides,
  };
}

describe.each(drivers)('message records on $name', (driver) => {
  let store: Store;

  beforeAll(async () => {
    if (driver.skip) return;
    store = await driver.open();
    await store.migrate();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  it.skipIf(driver.skip)('stores every field as given, whatever characters the text holds', async () => {
    const awkward = ['say "hi", {ok}', 'back\\slash', 'NULL', '', 'line\nbreak', '😀 ünïcödé', "it's"];
    const legs = awkward.map((textPreview, i) =>
      leg({
        textPreview,
        error: i % 2 ? textPreview : '',
        smppPartIds: i === 0 ? ['a1', 'a2'] : [],
        registeredDelivery: i === 0 ? 1 : 0,
        transcodingPerformed: i === 1,
        type: i === 1 ? 'mms' : 'sms',
        mediaCount: i,
        internal: i === 2,
      }),
    );
    await store.records.upsertMany(legs);
    for (const want of legs) {
      const [got] = await store.records.byMessageId(want.messageId);
      expect(got).toMatchObject({ ...want, receivedTimestamp: want.receivedTimestamp });
      expect(got!.receivedTimestamp.toISOString()).toBe('2026-11-28T08:00:00.123Z');
    }
  });

  it.skipIf(driver.skip)('moves a leg forward only: a late "sent" keeps "delivered" and the carrier id', async () => {
    const base = leg();
    await store.records.upsertMany([{ ...base, status: 'sent', carrierMsgId: 'c-1' }]);
    await store.records.upsertMany([{ ...base, status: 'queued' }]);
    expect((await store.records.byMessageId(base.messageId))[0]).toMatchObject({ status: 'sent', carrierMsgId: 'c-1' });
    await store.records.upsertMany([{ ...base, status: 'delivered' }]);
    await store.records.upsertMany([{ ...base, status: 'sent', carrierMsgId: '' }]);
    const [row] = await store.records.byMessageId(base.messageId);
    expect(row).toMatchObject({ status: 'delivered', carrierMsgId: 'c-1' });
    expect(await store.records.byCarrierMsgId(3, 'c-1')).toMatchObject({ messageId: base.messageId });
  });

  it.skipIf(driver.skip)('keeps updated_at with the status: a late "queued" does not redate a final leg', async () => {
    const base = leg();
    await store.records.upsertMany([{ ...base, status: 'delivered' }]);
    const [first] = await store.records.byMessageId(base.messageId);
    await new Promise((r) => setTimeout(r, 20));
    await store.records.upsertMany([{ ...base, status: 'queued' }]);
    const [late] = await store.records.byMessageId(base.messageId);
    expect(late).toMatchObject({ status: 'delivered' });
    expect(late!.updatedAt.getTime()).toBe(first!.updatedAt.getTime());
    await new Promise((r) => setTimeout(r, 20));
    await store.records.upsertMany([{ ...base, status: 'failed' }]);
    const [moved] = await store.records.byMessageId(base.messageId);
    expect(moved!.updatedAt.getTime()).toBeGreaterThan(first!.updatedAt.getTime());
  });

  it.skipIf(driver.skip)('merges the legs of one batch and keeps what each knew (sizes grow, flags stay set)', async () => {
    const base = leg({ type: 'mms', mediaCount: 1 });
    await store.records.upsertMany([
      { ...base, status: 'sent', carrierMsgId: 'c-2' },
      { ...base, status: 'queued', originalSizeBytes: 900_000, transcodedSizeBytes: 300_000, transcodingPerformed: true },
      { ...base, status: 'sent', smppPartIds: ['p1', 'p2', 'p3'], registeredDelivery: 1 },
    ]);
    await store.records.upsertMany([{ ...base, status: 'failed', error: 'carrier said no', originalSizeBytes: 10 }]);
    const rows = await store.records.byMessageId(base.messageId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'failed',
      carrierMsgId: 'c-2',
      error: 'carrier said no',
      originalSizeBytes: 900_000,
      transcodedSizeBytes: 300_000,
      transcodingPerformed: true,
      smppPartIds: ['p1', 'p2', 'p3'],
      registeredDelivery: 1,
    });
  });

  it.skipIf(driver.skip)('keeps the two legs of an internal message apart and writes a 500-leg batch whole', async () => {
    const id = `internal-${++seq}`;
    await store.records.upsertMany([
      leg({ messageId: id, clientId: 1, direction: 'outbound', internal: true }),
      leg({ messageId: id, clientId: 2, direction: 'inbound', internal: true }),
    ]);
    expect((await store.records.byMessageId(id)).map((r) => `${r.clientId}/${r.direction}`)).toEqual(['1/outbound', '2/inbound']);
    const batch = Array.from({ length: 500 }, (_, i) => leg({ messageId: `bulk-${seq}-${i}`, clientId: 900 }));
    await store.records.upsertMany(batch);
    const history = await store.records.history({ clientId: 900, page: 1, perPage: 10 });
    expect(history.total).toBe(500);
  });

  it.skipIf(driver.skip)(
    'stores legs whose text holds U+0000 or a lone surrogate without them, with the legs batched alongside',
    async () => {
      const nul = leg({ textPreview: 'a\u0000b', error: 'e\u0000', to: '+1555\u00002000002', smppPartIds: ['p\u00001'] });
      const lone = leg({ textPreview: 'x\ud800y' });
      const neighbour = leg();
      await store.records.upsertMany([nul, lone, neighbour]);
      expect((await store.records.byMessageId(nul.messageId))[0]).toMatchObject({
        textPreview: 'ab',
        error: 'e',
        to: '+15552000002',
        smppPartIds: ['p1'],
      });
      expect((await store.records.byMessageId(lone.messageId))[0]).toMatchObject({ textPreview: 'x\ufffdy' });
      expect(await store.records.byMessageId(neighbour.messageId)).toHaveLength(1);
    },
  );

  it.skipIf(driver.skip)('updates a queued leg to its outcome on the page it was written to, touching no index', async () => {
    const db = (store as unknown as { db: Kysely<any> }).db;
    const legs = Array.from({ length: 60 }, () => leg({ toClientType: 'smpp', carrierId: 0, carrier: '' }));
    await store.records.upsertMany(legs);
    const ids = legs.map((l) => l.messageId);
    const pages = async () =>
      (
        await sql<{ message_id: string; ctid: string }>`
      SELECT message_id, ctid::text FROM msg_record_db_items WHERE message_id = ANY(${ids})`.execute(db)
      ).rows
        .map((r) => `${r.message_id} ${r.ctid.replace(/,\d+\)$/, ')')}`)
        .sort();
    const before = await pages();
    expect(new Set(before.map((p) => p.split(' ')[1])).size).toBeGreaterThan(1); // the batch spans pages
    await store.records.upsertMany(legs.map((l) => ({ ...l, status: 'sent' as const })));
    expect(await pages()).toEqual(before);
  });

  it.skipIf(driver.skip)('refuses a value the column cannot hold with a permanent data error', async () => {
    const err = await store.records.upsertMany([leg({ registeredDelivery: 70_000 })]).catch((e: unknown) => e);
    expect(isPermanentDataError(err)).toBe(true);
  });

  it.skipIf(driver.skip)('stores client text with U+0000 through the query builder without it', async () => {
    const client = await store.clients.create({
      username: `nul-${++seq}`,
      password: 'pw-0123456789',
      address: '',
      name: 'Acme\u0000 Ltd',
      type: 'web',
      timezone: 'UTC',
      logPrivacy: false,
    });
    expect((await store.clients.get(client.id))?.name).toBe('Acme Ltd');
  });

  it.skipIf(driver.skip)('fails only the write holding a value the database refuses, not the writes batched with it', async () => {
    const writer = new RecordWriter(store.records, { flushMs: 20 });
    const [before, bad, after] = [leg({ textPreview: 'nul \u0000 inside' }), leg({ registeredDelivery: 70_000 }), leg()];
    const results = await Promise.allSettled([writer.write(before), writer.write(bad), writer.write(after)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.records.byMessageId(before.messageId)).toHaveLength(1);
    expect(await store.records.byMessageId(after.messageId)).toHaveLength(1);
    await writer.stop();
  });
});
