/**
 * Fault: Redis stopped during a REST burst to a carrier (a node on real PostgreSQL and NATS, and
 * a redis-server of this file's own, so no other test sees it go). As docs/configuration.md
 * (REDIS_URL) says: a client with a quota limit is answered 503 "not_stored" while Redis is away
 * (never a 202 unchecked, never a crash), a client without limits keeps sending, with or without
 * an Idempotency-Key (its usage is counted on the node and written behind), and the node serves
 * both again once Redis is back.
 * Every 202 reaches the carrier exactly once; nothing refused does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { FakeCarrier, registerFakeCarriers } from '../support/fake-carrier.js';
import { postSend, SendTally } from '../support/rest-burst.js';
import { startRedis, type ControllableService } from '../support/services.js';
import { basicAuth, startTestNode, type TestNode } from '../support/test-node.js';
import { waitFor } from '../support/wait.js';
import { waitForConsumersIdle } from '../support/nats-queues.js';

const svc = requireServices(['postgres', 'nats', 'redis']);
const API_KEY = 'redis-stop-admin-key';
const LIMITED = { auth: basicAuth('limited', 'limited-pass'), from: '+15550201000' };
const FREE = { auth: basicAuth('free', 'free-pass'), from: '+15550202000' };
const TOTAL = 300;
const CONCURRENCY = 12;
const STOP_AT = 80;
const DOWN_MS = 5_000;
const busPrefix = uniquePrefix('rs');

const body = (from: string, text: string) => ({ from, to: '+15550209999', text });

describe.skipIf(svc.skip)(svc.title('Redis stopped during a REST burst'), () => {
  let redis: ControllableService;
  let fake: FakeCarrier;
  let node: TestNode;

  async function client(username: string, number: string, settings: object): Promise<void> {
    const c = await node.api('POST', '/clients', { username, password: `${username}-pass`, type: 'web' });
    expect(c.status).toBe(201);
    expect((await node.api('PUT', `/clients/${c.body.id}/settings`, settings)).status).toBe(200);
    expect((await node.api('POST', `/clients/${c.body.id}/numbers`, { number, carrier: 'telnyx-main' })).status).toBe(201);
  }

  beforeAll(async () => {
    [redis, fake] = await Promise.all([startRedis(), FakeCarrier.start()]);
    node = await startTestNode({
      serverId: 'redisstop',
      apiKey: API_KEY,
      env: {
        DATABASE_URL: await createTestDatabase('redis_stop'),
        NATS_URL: svc.urls.nats,
        REDIS_URL: redis.url,
        BUS_SUBJECT_PREFIX: busPrefix,
        NOTIFY_SENDER_ON_FAILURE: 'false',
        CARRIER_TIMEOUT_SECS: '5',
      },
    });
    await registerFakeCarriers(node.api, fake, ['telnyx']);
    await client('limited', LIMITED.from, { sms_daily_limit: 100_000 });
    await client('free', FREE.from, {});
    expect((await postSend(node.base, LIMITED.auth, body(LIMITED.from, 'warm-up'))).status).toBe(202);
    await waitFor(() => fake.sent('telnyx').length === 1, 30_000);
  }, 180_000);

  afterAll(async () => {
    await node?.stop();
    await Promise.all([redis?.stop(), fake?.close()]);
  });

  it('refuses the limited client 503 while Redis is away, lets the free one send, recovers, and delivers each 202 once', async () => {
    const limited = new SendTally();
    const free = new SendTally();
    let next = 0;
    let stopped: Promise<void> | undefined;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < TOTAL) {
          const i = next++;
          if (i === STOP_AT) {
            stopped = (async () => {
              await redis.halt();
              await new Promise((r) => setTimeout(r, DOWN_MS));
              await redis.restart();
            })();
          }
          const [who, tally] = i % 2 ? [LIMITED, limited] : [FREE, free];
          const text = `rs-${i}`;
          // Every fourth with an Idempotency-Key: a send that may repeat is counted once, which needs Redis.
          tally.record(text, await postSend(node.base, who.auth, body(who.from, text), i % 4 === 0 ? `key-${i}` : undefined));
        }
      }),
    );
    await stopped;
    process.stdout.write(
      `[redis-stop] limited: ${limited.summary()}, unknown ${limited.unknown.size}; ` +
        `free: ${free.summary()}, unknown ${free.unknown.size}\n`,
    );
    expect(limited.other, 'limited client: answers other than 202 and 503 not_stored').toEqual([]);
    expect(limited.unknown.size).toBe(0);
    expect(limited.notStored.size, 'the limited client refused while Redis was away').toBeGreaterThan(0);
    expect([...free.other, ...free.notStored, ...free.unknown.keys()], 'the free client refused').toEqual([]);

    // Back: the limited client is served again, and the node is healthy.
    await waitFor(async () => (await postSend(node.base, LIMITED.auth, body(LIMITED.from, 'rs-after'))).status === 202, 30_000);
    expect((await fetch(`${node.base}/health`)).status).toBe(200);

    const expected = new Set([...limited.accepted.keys(), ...free.accepted.keys(), 'rs-after']);
    const delivered = () => fake.countBy((r) => (r.body as { text?: string }).text).counts;
    await waitFor(() => [...expected].every((t) => delivered().has(t)), 120_000);
    // A late duplicate (the redelivery of a send whose ack was lost) comes only after its ack
    // wait: wait until this node's queues hold nothing unacknowledged, then count.
    await waitForConsumersIdle(svc.urls.nats, { busPrefix });
    const counts = delivered();
    const ours = [...counts].filter(([t]) => t.startsWith('rs-'));
    process.stdout.write(`[redis-stop] delivered ${ours.length}, twice ${ours.filter(([, n]) => n > 1).length}\n`);
    expect(
      ours.filter(([, n]) => n > 1),
      'texts delivered more than once',
    ).toEqual([]);
    expect(
      [...limited.notStored].filter((t) => counts.has(t)),
      'refused texts that were delivered',
    ).toEqual([]);
    expect(
      [...expected].filter((t) => !counts.has(t)),
      'accepted texts never delivered',
    ).toEqual([]);
  }, 300_000);
});
