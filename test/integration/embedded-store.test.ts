/**
 * The embedded store on disk (PGlite in a data dir, as the embedded default runs it): a fresh dir
 * is initialised, what was written is there after a restart, and PostgreSQL runs with the
 * embedded buffer cache unless PGLITE_SHARED_BUFFERS_MB (sharedBuffersMb) raises it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../internal/crypto/index.js';
import { ClientType, createStore, type Store } from '../../internal/store/index.js';

const secretBox = createSecretBox('embedded-store-key-0123456789abcdef');
let dataDir: string;
const open: Store[] = [];

async function openStore(sharedBuffersMb?: number): Promise<Store> {
  const store = await createStore({ driver: 'pglite', dataDir, sharedBuffersMb }, { secretBox });
  open.push(store);
  await store.migrate();
  await store.verifySecrets();
  return store;
}

async function sharedBuffers(store: Store): Promise<string> {
  const db = (store as unknown as { db: Kysely<any> }).db;
  const { rows } = await sql<{ value: string }>`select current_setting('shared_buffers') as value`.execute(db);
  return rows[0]!.value;
}

beforeEach(async () => {
  dataDir = join(await mkdtemp(join(tmpdir(), 'msggw-embedded-store-')), 'pglite');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
  await rm(join(dataDir, '..'), { recursive: true, force: true });
});

describe('the embedded store in a data dir', () => {
  it('keeps what was written across a restart', async () => {
    const first = await openStore();
    const client = await first.clients.create({
      username: 'kept',
      password: 'kept-password-0123',
      address: '',
      name: 'Kept',
      type: ClientType.WEB,
      timezone: 'UTC',
      logPrivacy: false,
    });
    await first.close();

    const again = await openStore();
    expect(await again.migrate()).toEqual([]);
    expect(await again.clients.getByUsername('kept')).toMatchObject({ id: client.id, name: 'Kept', password: 'kept-password-0123' });
  });

  it('runs PostgreSQL with a 16 MB buffer cache, or the one asked for', async () => {
    const small = await openStore();
    expect(await sharedBuffers(small)).toBe('16MB');
    await small.close();

    expect(await sharedBuffers(await openStore(64))).toBe('64MB');
  });
});
