/**
 * Fault: PostgreSQL stops for ~20 s in the middle of a REST burst to a carrier. One node on real
 * nats-server and redis-server and a PostgreSQL of this file's own (stopping it touches no other
 * test). Every message answered 202 must reach the fake carrier exactly once (a send the carrier
 * accepted is never repeated because its record could not be written), and once PostgreSQL is
 * back the ledger holds every sent leg with the carrier's id.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireServices, uniquePrefix } from '../support/env.js';
import { FakeCarrier, registerFakeCarriers } from '../support/fake-carrier.js';
import { startPostgres, type RunningPostgres } from '../support/services.js';
import { basicAuth, startTestNode, type TestNode } from '../support/test-node.js';

const svc = requireServices(['nats', 'postgres', 'redis']);
const API_KEY = 'pg-outage-admin-key';
const CLIENT = basicAuth('webapp', 'webapp-pass');
/** Sends before PostgreSQL stops, and the pause between sends (a steady burst, not a flood). */
const BEFORE_OUTAGE = 150;
const PACE_MS = 40;
const OUTAGE_MS = 20_000;
/** Sends after PostgreSQL is back. */
const AFTER_OUTAGE = 100;
const CONCURRENCY = 4;
const SETTLE_DEADLINE_MS = 180_000;

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.skipIf(svc.skip)(svc.title('PostgreSQL down for 20 s during a burst to a carrier'), () => {
  let postgres: RunningPostgres;
  let databaseUrl: string;
  let fake: FakeCarrier;
  let gw: TestNode;

  beforeAll(async () => {
    postgres = await startPostgres();
    databaseUrl = await postgres.createDatabase('pg_outage');
    fake = await FakeCarrier.start();
    gw = await startTestNode({
      serverId: 'pgout1',
      apiKey: API_KEY,
      env: {
        DATABASE_URL: databaseUrl,
        NATS_URL: svc.urls.nats,
        REDIS_URL: svc.urls.redis,
        BUS_SUBJECT_PREFIX: uniquePrefix('pgout'),
        NOTIFY_SENDER_ON_FAILURE: 'false',
        CARRIER_TIMEOUT_SECS: '5',
      },
    });
    await registerFakeCarriers(gw.api, fake, ['telnyx']);
    const web = await gw.api('POST', '/clients', { username: 'webapp', password: 'webapp-pass', type: 'web' });
    expect(web.status).toBe(201);
    expect((await gw.api('POST', `/clients/${web.body.id}/numbers`, { number: '+15550001000', carrier: 'telnyx-main' })).status).toBe(201);
    await until(
      async () => (await gw.node.metrics.carrierLeader.get()).values.some((v) => v.value === 1),
      30_000,
      'the node to lead the carrier',
    );
  }, 180_000);

  afterAll(async () => {
    await gw?.stop().catch(() => undefined);
    await fake?.close();
    await postgres?.stop();
  });

  it('sends every accepted message exactly once and records each with its carrier id once PostgreSQL is back', async () => {
    const accepted = new Map<string, string>(); // text -> message id
    let refused = 0;
    let next = 0;
    let outage: Promise<void> | undefined;
    let outageOver = false;
    let sentAfter = 0;
    const sendOne = async (i: number): Promise<void> => {
      const text = `pg-outage-${i}`;
      const res = await fetch(`${gw.base}/messages/send`, {
        method: 'POST',
        headers: { authorization: CLIENT, 'content-type': 'application/json' },
        body: JSON.stringify({ from: '+15550001000', to: `+1555${String(3_000_000 + i).padStart(7, '0')}`, text }),
      }).catch(() => undefined);
      const body = (await res?.json().catch(() => undefined)) as { id?: string } | undefined;
      if (res?.status === 202 && body?.id) accepted.set(text, body.id);
      else refused += 1;
    };
    const stopForAWhile = async (): Promise<void> => {
      await postgres.stopServer();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await postgres.startServer();
      outageOver = true;
    };
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (!outageOver || sentAfter < AFTER_OUTAGE) {
          const i = next++;
          if (i === BEFORE_OUTAGE) outage = stopForAWhile();
          if (outageOver) sentAfter += 1;
          await sendOne(i);
          await new Promise((r) => setTimeout(r, PACE_MS));
        }
      }),
    );
    await outage;

    const byText = () => fake.countBy((r) => (r.body as { text?: string }).text);
    await until(
      () => [...accepted.keys()].every((t) => byText().counts.has(t)),
      SETTLE_DEADLINE_MS,
      'every accepted message at the carrier',
    ).catch(() => undefined);
    const ledger = new pg.Client({ connectionString: databaseUrl });
    await ledger.connect();
    const sentLegs = async () =>
      new Map(
        (
          await ledger.query<{ message_id: string; carrier_msg_id: string; status: string }>(
            "SELECT message_id, carrier_msg_id, status FROM msg_record_db_items WHERE direction = 'outbound' AND carrier_msg_id <> ''",
          )
        ).rows.map((r) => [r.message_id, r]),
      );
    try {
      await until(
        async () => {
          const legs = await sentLegs();
          return [...accepted.values()].every((id) => legs.has(id));
        },
        SETTLE_DEADLINE_MS,
        'every sent leg in the ledger',
      ).catch(() => undefined);
      const count = byText();
      const missing = [...accepted.keys()].filter((t) => !count.counts.has(t));
      const twice = [...count.counts].filter(([, n]) => n > 1).map(([t]) => t);
      const legs = await sentLegs();
      const carrierIds = new Map(fake.sent().map((r) => [(r.body as { text?: string }).text, r.carrierMsgId]));
      const unrecorded = [...accepted].filter(([, id]) => !legs.has(id)).map(([t]) => t);
      const wrongId = [...accepted].filter(([t, id]) => legs.has(id) && legs.get(id)!.carrier_msg_id !== carrierIds.get(t));
      process.stdout.write(
        `[pg-outage] accepted ${accepted.size}, refused ${refused}; at the carrier ${count.unique} unique, ` +
          `${count.duplicates} duplicates (${twice.length} messages), ${missing.length} missing; ` +
          `ledger: ${accepted.size - unrecorded.length} recorded with a carrier id, ${unrecorded.length} not\n`,
      );
      expect(accepted.size).toBeGreaterThan(BEFORE_OUTAGE);
      expect(twice, `sent more than once, e.g. ${twice.slice(0, 5).join(', ')}`).toEqual([]);
      expect(missing, `never sent, e.g. ${missing.slice(0, 5).join(', ')}`).toEqual([]);
      expect(unrecorded, `not in the ledger, e.g. ${unrecorded.slice(0, 5).join(', ')}`).toEqual([]);
      expect(wrongId).toEqual([]);
    } finally {
      await ledger.end();
    }
  }, 600_000);
});
