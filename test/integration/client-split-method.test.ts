/**
 * The client setting split_method in the store, on both drivers: what migration 0004 gives the
 * rows already there, what a row msggw did not write (an import from gomsggw) and a new client
 * get, and how disable_message_splitting stays its alias.
 */
import { sql, Migrator, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../internal/crypto/index.js';
import { createStore, type Store } from '../../internal/store/index.js';
import { migrationProvider } from '../../internal/store/migrations/index.js';
import { createTestDatabase, requireServices } from '../support/env.js';

const svc = requireServices(['postgres']);
const secretBox = createSecretBox('split-method-key-0123456789abcdef');
const drivers = [
  { name: 'PGlite', skip: false, open: async () => createStore({ driver: 'pglite' }, { secretBox }) },
  {
    name: 'PostgreSQL',
    skip: svc.skip,
    open: async () => createStore({ driver: 'pg', url: await createTestDatabase('split_method') }, { secretBox }),
  },
];

let seq = 0;

describe.each(drivers)('client split_method on $name', (driver) => {
  let store: Store;
  let db: Kysely<any>;
  const before: Record<string, number> = {};

  /** A client and settings row written with raw SQL, as an older msggw or an importer would. */
  async function rawClient(settings: Record<string, unknown> | null): Promise<number> {
    const { id } = await db
      .insertInto('clients')
      .values({ username: `split-${++seq}`, password: '' })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (settings)
      await db
        .insertInto('clientSettings')
        .values({ clientId: id, ...settings })
        .execute();
    return id as number;
  }

  beforeAll(async () => {
    if (driver.skip) return;
    store = await driver.open();
    db = (store as unknown as { db: Kysely<any> }).db;
    const migrated = await new Migrator({ db, provider: migrationProvider }).migrateTo('0003-record-smpp-receipts');
    if (migrated.error) throw migrated.error;
    before.split = await rawClient({ disableMessageSplitting: false });
    before.payload = await rawClient({ disableMessageSplitting: true });
    expect(await store.migrate()).toContain('0004-client-split-method');
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  const method = async (id: number) => (await store.clients.getSettings(id))?.splitMethod;

  it.skipIf(driver.skip)('keeps what msggw did for the rows already there: udh, or payload with disable_message_splitting', async () => {
    expect(await method(before.split!)).toBe('udh');
    expect(await store.clients.getSettings(before.payload!)).toMatchObject({ splitMethod: 'payload', disableMessageSplitting: true });
  });

  it.skipIf(driver.skip)("gives a settings row msggw did not write gomsggw's plain parts, whatever its stale flag says", async () => {
    const imported = await rawClient({ apiFormat: 'generic', disableMessageSplitting: true });
    expect(await store.clients.getSettings(imported)).toMatchObject({ splitMethod: 'none', disableMessageSplitting: false });
    const bare = await rawClient(null);
    expect((await store.clients.upsertSettings(bare, { apiFormat: 'bicom', disableMessageSplitting: false })).splitMethod).toBe('none');
  });

  it.skipIf(driver.skip)("gives a client msggw creates 'udh'", async () => {
    const client = await store.clients.create({
      username: `split-${++seq}`,
      password: 'pw',
      address: '',
      name: '',
      type: 'legacy',
      timezone: 'UTC',
      logPrivacy: false,
    });
    expect(client.settings).toMatchObject({ splitMethod: 'udh', disableMessageSplitting: false });
  });

  it.skipIf(driver.skip)('writes disable_message_splitting and split_method together', async () => {
    const id = await rawClient({});
    const stored = async () =>
      db
        .selectFrom('clientSettings')
        .select(['splitMethod', 'disableMessageSplitting'])
        .where('clientId', '=', id)
        .executeTakeFirstOrThrow();
    await store.clients.upsertSettings(id, { disableMessageSplitting: true });
    expect(await stored()).toEqual({ splitMethod: 'payload', disableMessageSplitting: true });
    await store.clients.upsertSettings(id, { disableMessageSplitting: false });
    expect(await stored()).toEqual({ splitMethod: 'udh', disableMessageSplitting: false });
    await store.clients.upsertSettings(id, { splitMethod: 'sar' });
    await store.clients.upsertSettings(id, { disableMessageSplitting: false });
    expect(await stored()).toEqual({ splitMethod: 'sar', disableMessageSplitting: false });
    await store.clients.upsertSettings(id, { splitMethod: 'payload' });
    expect(await stored()).toEqual({ splitMethod: 'payload', disableMessageSplitting: true });
  });

  it.skipIf(driver.skip)('refuses an unknown method in the column', async () => {
    const id = await rawClient({});
    await expect(sql`UPDATE client_settings SET split_method = 'concat' WHERE client_id = ${id}`.execute(db)).rejects.toThrow();
  });
});
