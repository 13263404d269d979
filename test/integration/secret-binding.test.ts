/**
 * Stored passwords are bound to their rows (AES-GCM additional data), on both drivers: a value
 * copied into another row does not decrypt there; values stored in the older unbound formats
 * (v2, upstream's AES-CFB) still read, and verifySecrets re-encrypts them bound.
 */
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox, encryptLegacy, SecretError } from '../../internal/crypto/index.js';
import { createStore, type Store } from '../../internal/store/index.js';
import { createTestDatabase, requireServices } from '../support/env.js';

const KEY = 'secret-binding-key-0123456789abcdef';
const svc = requireServices(['postgres']);
const secretBox = createSecretBox(KEY);
const drivers = [
  { name: 'PGlite', skip: false, open: async () => createStore({ driver: 'pglite' }, { secretBox }) },
  {
    name: 'PostgreSQL',
    skip: svc.skip,
    open: async () => createStore({ driver: 'pg', url: await createTestDatabase('secret_binding') }, { secretBox }),
  },
];

/** The v2 format (unbound AES-256-GCM) by hand, as nodes before row binding stored it. */
function v2Encrypt(plain: string): string {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(KEY), 'msggw/crypto/secret-box/salt', 'msggw secret-box v2 aes-256-gcm', 32));
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return 'v2:' + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
}

let seq = 0;
const newClient = (password: string) => ({
  username: `bound-${++seq}`,
  password,
  address: '',
  name: 'n',
  type: 'legacy' as const,
  timezone: 'UTC',
  logPrivacy: false,
});
const newCarrier = (password: string) => ({
  name: `carrier-${++seq}`,
  type: 'telnyx',
  username: '',
  password,
  uuid: randomBytes(12).toString('hex'),
  profileId: '',
  apiBaseUrl: '',
  verifyWebhooks: false,
  publicKey: '',
  maxRps: 0,
});

describe.each(drivers)('stored passwords on $name', (driver) => {
  let store: Store;
  let db: Kysely<any>;
  const stored = async (table: 'clients' | 'carriers', id: number): Promise<string> =>
    (await db.selectFrom(table).select('password').where('id', '=', id).executeTakeFirstOrThrow()).password;
  const put = (table: 'clients' | 'carriers', id: number, password: string) =>
    db.updateTable(table).set({ password }).where('id', '=', id).execute();

  beforeAll(async () => {
    if (driver.skip) return;
    store = await driver.open();
    await store.migrate();
    await store.verifySecrets();
    db = (store as unknown as { db: Kysely<any> }).db;
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  it.skipIf(driver.skip)("does not decrypt a client password copied into another client's row", async () => {
    const a = await store.clients.create(newClient('password-of-a'));
    const b = await store.clients.create(newClient('password-of-b'));
    expect((await store.clients.get(a.id))?.password).toBe('password-of-a');
    await put('clients', b.id, await stored('clients', a.id));
    await expect(store.clients.get(b.id)).rejects.toBeInstanceOf(SecretError);
    expect((await store.clients.get(a.id))?.password).toBe('password-of-a');
  });

  it.skipIf(driver.skip)("does not decrypt a carrier password copied into another carrier's row", async () => {
    const a = await store.carriers.create(newCarrier('token-of-a'));
    const b = await store.carriers.create(newCarrier('token-of-b'));
    await put('carriers', b.id, await stored('carriers', a.id));
    await expect(store.carriers.get(b.id)).rejects.toBeInstanceOf(SecretError);
    const updated = await store.carriers.update(b.id, { password: 'new-token-of-b' });
    expect(updated.password).toBe('new-token-of-b');
    expect((await store.carriers.get(b.id))?.password).toBe('new-token-of-b');
  });

  it.skipIf(driver.skip)('binds a password written by setPassword to its row', async () => {
    const a = await store.clients.create(newClient('first'));
    const b = await store.clients.create(newClient('other'));
    await store.clients.setPassword(a.id, 'second');
    expect((await store.clients.get(a.id))?.password).toBe('second');
    await put('clients', b.id, await stored('clients', a.id));
    await expect(store.clients.get(b.id)).rejects.toBeInstanceOf(SecretError);
  });

  it.skipIf(driver.skip)('reads passwords stored unbound (v2, upstream) and binds them at start-up', async () => {
    const client = await store.clients.create(newClient('x'));
    const legacyClient = await store.clients.create(newClient('x'));
    const carrier = await store.carriers.create(newCarrier('x'));
    await put('clients', client.id, v2Encrypt('v2 client password'));
    await put('clients', legacyClient.id, encryptLegacy(KEY, 'upstream client password'));
    await put('carriers', carrier.id, v2Encrypt('v2 carrier token'));
    expect((await store.clients.get(client.id))?.password).toBe('v2 client password');
    expect((await store.clients.get(legacyClient.id))?.password).toBe('upstream client password');
    expect((await store.carriers.get(carrier.id))?.password).toBe('v2 carrier token');

    await store.verifySecrets();
    for (const [table, id] of [
      ['clients', client.id],
      ['clients', legacyClient.id],
      ['carriers', carrier.id],
    ] as const) {
      expect(await stored(table, id)).toMatch(/^v3:/);
    }
    expect((await store.clients.get(client.id))?.password).toBe('v2 client password');
    expect((await store.clients.get(legacyClient.id))?.password).toBe('upstream client password');
    expect((await store.carriers.get(carrier.id))?.password).toBe('v2 carrier token');
    const unbound = await db
      .selectFrom('clients')
      .select('id')
      .where(sql<boolean>`password not like 'v3:%'`)
      .execute();
    expect(unbound).toEqual([]);
  });
});
