/**
 * SIGTERM with a component that cannot stop: PostgreSQL holds the message ledger locked, so a
 * message's ledger write (and with it its handler and the store's close) never finishes. The
 * process must still exit by SHUTDOWN_TIMEOUT_SECS, with a non-zero code, and what it held
 * unacknowledged (that message, and one in flight at the carrier whose answer was held back)
 * must reach the carrier through the next node: redelivered, not lost.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { FakeCarrier } from '../support/fake-carrier.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';

const svc = requireServices(['nats', 'postgres', 'redis']);
const SHUTDOWN_TIMEOUT_SECS = 4;
const API_KEY = 'shutdown-admin-key';
const admin = { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' };
const HELD_FROM = '+15550001000';
const STUCK_FROM = '+15550001001';
const client = { authorization: `Basic ${Buffer.from('webapp:webapp-pass').toString('base64')}`, 'content-type': 'application/json' };

async function post(node: GatewayProcess, path: string, body: unknown, headers = admin) {
  const res = await fetch(`${node.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(svc.skip)(svc.title('shutdown with a component that never stops'), () => {
  let fake: FakeCarrier;
  let env: Record<string, string>;
  let lock: pg.Client | undefined;
  const nodes: GatewayProcess[] = [];

  beforeAll(async () => {
    fake = await FakeCarrier.start();
    env = {
      DATABASE_URL: await createTestDatabase('shutdown'),
      NATS_URL: svc.urls.nats,
      REDIS_URL: svc.urls.redis,
      ENCRYPTION_KEY: 'shutdown-encryption-key-0123456789abcdef',
      API_KEY,
      BUS_SUBJECT_PREFIX: uniquePrefix('sd'),
      SERVER_ADDRESS: 'http://127.0.0.1:9',
      NOTIFY_SENDER_ON_FAILURE: 'false',
      // No retry by timeout: the held-back send is sent again only because the node stopped.
      CARRIER_TIMEOUT_SECS: '600',
      SHUTDOWN_TIMEOUT_SECS: String(SHUTDOWN_TIMEOUT_SECS),
    };
    const first = await startGatewayProcess('sd1', env);
    nodes.push(first);
    const row = fake.carrierRow('telnyx');
    const web = await post(first, '/clients', { username: 'webapp', password: 'webapp-pass', type: 'web' });
    expect(web.status).toBe(201);
    // Two carriers (one fake behind both), so the send held at one does not queue the other's.
    for (const [name, number] of [
      ['telnyx-held', HELD_FROM],
      ['telnyx-stuck', STUCK_FROM],
    ]) {
      expect(
        (
          await post(first, '/carriers', {
            name,
            type: 'telnyx',
            username: 'x',
            password: row.password,
            api_base_url: fake.url,
            public_key: row.publicKey,
            max_rps: 1_000,
          })
        ).status,
      ).toBe(201);
      expect((await post(first, `/clients/${web.body.id}/numbers`, { number, carrier: name })).status).toBe(201);
    }
  }, 180_000);

  afterAll(async () => {
    await lock?.query('ROLLBACK').catch(() => undefined);
    await lock?.end().catch(() => undefined);
    await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
    await fake?.close();
  });

  const send = (node: GatewayProcess, text: string, from = HELD_FROM) =>
    post(node, '/messages/send', { from, to: '+15550002000', text }, client);
  const delivered = (text: string) => fake.countBy((r) => (r.body as { text?: string }).text).counts.get(text) ?? 0;
  const acceptedSince = (text: string, since: number) =>
    fake.sent().filter((r) => (r.body as { text?: string }).text === text && r.outcome === 'accepted' && r.at >= since).length;

  it('exits non-zero by SHUTDOWN_TIMEOUT_SECS, and the next node delivers what it held', async () => {
    const [node] = nodes;
    // The carrier path works, and the carrier has a leader, before the fault.
    for (const from of [HELD_FROM, STUCK_FROM]) {
      await until(async () => (await send(node, `before the lock ${from}`, from)).status === 202, 30_000, 'a first send accepted');
      await until(() => delivered(`before the lock ${from}`) > 0, 60_000, 'the first message at the carrier');
    }

    fake.failNext(1, { delayMs: 120_000 });
    expect((await send(node, 'in flight at shutdown')).status).toBe(202);
    // Arrived, its answer held back (the fake lists a request as sent once it answers).
    await until(
      () => fake.requests.some((r) => (r.body as { text?: string }).text === 'in flight at shutdown'),
      60_000,
      'the in-flight message at the carrier',
    );

    lock = new pg.Client({ connectionString: env.DATABASE_URL });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE msg_record_db_items IN ACCESS EXCLUSIVE MODE');
    expect((await send(node, 'stuck in the ledger', STUCK_FROM)).status).toBe(202);
    // Its ledger write now waits on the lock, so its handler never returns.
    await until(
      async () =>
        (
          await lock!.query(
            "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
          )
        ).rows[0].n > 0,
      60_000,
      'a ledger write waiting on the lock',
    );

    const stopping = Date.now();
    const code = await node.stop('SIGTERM');
    const tookMs = Date.now() - stopping;
    nodes.length = 0;
    expect(code, node.output().slice(-3000)).toBe(1); // null would mean the harness had to SIGKILL it
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_SECS * 1000 + 10_000);
    expect(node.output()).toContain('did not stop before the shutdown deadline');

    await lock.query('ROLLBACK');
    const next = await startGatewayProcess('sd2', env);
    nodes.push(next);
    expect((await send(next, 'after the restart')).status).toBe(202);
    await until(() => delivered('after the restart') > 0, 90_000, 'a message through the next node');
    // The send whose answer the carrier held back was abandoned at SIGTERM, unacknowledged, and
    // sent again (by the draining node's own consumer or by the next node): the carrier accepted
    // a copy after the SIGTERM.
    await until(() => acceptedSince('in flight at shutdown', stopping) >= 1, 90_000, 'the in-flight message sent again');
    // The stuck one reached the carrier once, before or after the restart (depending on whether
    // its router or its carrier worker was the handler waiting on the lock).
    await until(() => delivered('stuck in the ledger') >= 1, 90_000, 'the stuck message at the carrier');
  }, 300_000);
});
