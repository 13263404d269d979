/**
 * A PostgreSQL connection cut while the store holds it between two queries (inside a
 * transaction) is reported through onConnectionLost, never raised as an uncaught error: when
 * PostgreSQL stops or restarts, that error ended the process.
 */
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../internal/crypto/index.js';
import { createStore, type Store } from '../../internal/store/index.js';
import { createTestDatabase, requireServices } from '../support/env.js';

const svc = requireServices(['postgres']);

describe.skipIf(svc.skip)(svc.title('store: a connection cut inside a transaction'), () => {
  let store: Store | undefined;
  afterAll(async () => {
    await store?.close();
  });

  it('reports the lost connection and keeps the process alive', async () => {
    const url = await createTestDatabase('store_conn_loss');
    const lost: Error[] = [];
    store = await createStore(
      { driver: 'pg', url },
      {
        secretBox: createSecretBox('store-connection-loss-key-0123456789'),
        onConnectionLost: (err) => lost.push(err),
      },
    );
    const db = (store as unknown as { db: Kysely<any> }).db;
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.prependListener('uncaughtException', onUncaught);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const outcome = await db
        .transaction()
        .execute(async (tx) => {
          const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(tx);
          await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
          await new Promise((r) => setTimeout(r, 300)); // the cut arrives while no query runs
          return 'committed';
        })
        .catch((err: unknown) => err);
      expect(outcome).toBeInstanceOf(Error); // the commit cannot go through a dead connection
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      await admin.end();
    }
    expect(uncaught).toEqual([]);
    expect(lost.length).toBeGreaterThan(0);
    // The pool replaces the connection: the store works on.
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows[0]!.one).toBe(1);
  });
});
