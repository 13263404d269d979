/**
 * A poison message on the carrier stream, on real nats-server and PostgreSQL: the carrier
 * refuses it and the ledger refuses to record its failure (a trigger raising for its
 * destination, as PostgreSQL refused a NUL character), so the carrier worker's handler throws
 * on every delivery. Before dead letters it looped forever (JetStream max_deliver -1). Now it
 * is given up after maxDeliver deliveries, dead-lettered once, its sender is told "failed" once
 * (when the ledger works again), and an operator lists and replays it through the admin API
 * to a carrier that works again, which sends it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxDeliverFor } from '../../internal/bus/index.js';
import { FakeCarrier, registerFakeCarriers } from '../support/fake-carrier.js';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { basicAuth as basic, startTestNode, type TestNode } from '../support/test-node.js';
import { waitFor } from '../support/wait.js';
import { WebhookSink } from '../support/webhook-sink.js';

const svc = requireServices(['nats', 'postgres']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const API_KEY = 'dead-letter-admin-key';
const POISON_TO = '+15559990666';
const CARRIER_RETRIES = 1;
const BUS_MAX_DELIVER = 2;
/**
 * The bus's first retry after a handler threw (1 s by default, doubling): the ledger refusing
 * the message makes every delivery throw, and MAX_DELIVER of them need not take 15 s.
 */
const HANDLER_RETRY_MS = 100;
/** What the carrier worker's consumer gets from these settings. */
const MAX_DELIVER = maxDeliverFor(BUS_MAX_DELIVER, CARRIER_RETRIES);

const GUARD = `
CREATE FUNCTION dead_letter_test_guard() RETURNS trigger AS $$
BEGIN
  IF NEW."to" = '${POISON_TO}' AND NEW.status IN ('sent', 'failed') THEN
    RAISE EXCEPTION 'the ledger refuses this message (test)';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER dead_letter_test_guard BEFORE INSERT OR UPDATE ON msg_record_db_items
  FOR EACH ROW EXECUTE FUNCTION dead_letter_test_guard();`;

describe.skipIf(svc.skip)(svc.title('dead letters on the carrier stream (nats-server, PostgreSQL)'), () => {
  let gw: TestNode;
  let fake: FakeCarrier;
  let sink: WebhookSink;
  let db: pg.Client;
  const api = (...args: Parameters<TestNode['api']>) => gw.api(...args);

  beforeAll(async () => {
    fake = await FakeCarrier.start();
    sink = await WebhookSink.start();
    const databaseUrl = await createTestDatabase('deadletter');
    gw = await startTestNode({
      serverId: 'dl1',
      apiKey: API_KEY,
      env: {
        DATABASE_URL: databaseUrl,
        NATS_URL: svc.urls.nats,
        BUS_SUBJECT_PREFIX: uniquePrefix('dl'),
        CARRIER_RETRIES: String(CARRIER_RETRIES),
        CARRIER_RETRY_DELAY_SECS: '0',
        BUS_MAX_DELIVER: String(BUS_MAX_DELIVER),
        WEBHOOK_RETRY_DELAY_SECS: '0',
        NOTIFY_SENDER_ON_FAILURE: 'false',
      },
      bus: { handlerRetryMs: HANDLER_RETRY_MS },
    });
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await registerFakeCarriers(api, fake, ['telnyx']);
    const c = await api('POST', '/clients', { username: 'sender', password: 'sender-pass', type: 'web' });
    expect(c.status).toBe(201);
    expect((await api('PUT', `/clients/${c.body.id}/settings`, { default_webhook: `${sink.url}/sender` })).status).toBe(200);
    expect((await api('POST', `/clients/${c.body.id}/numbers`, { number: '+15550001000', carrier: 'telnyx-main' })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await gw?.stop();
    await Promise.all([fake?.close(), sink?.close()]);
  });

  const poisonSends = () =>
    fake.requests.filter((r) => r.api === 'telnyx').filter((r) => (r.body as { text?: string }).text === 'poison pill');
  const failedStatuses = (id: string) =>
    sink.received.filter((w) => w.body?.type === 'status' && w.body.id === id && w.body.status === 'failed');
  const deadLetterMetric = async () => {
    const metric = await gw.node.metrics.registry.getSingleMetric('msggw_dead_letters_total')?.get();
    return metric?.values.find((v) => v.labels.stream === 'carrier' && v.labels.reason === 'error')?.value ?? 0;
  };

  it('bounds the deliveries, dead-letters once, reports failed once, and replays to a working carrier', async () => {
    await db.query(GUARD);
    fake.failFraction(1, { status: 503 });
    const sent = await api(
      'POST',
      '/messages/send',
      { from: '+15550001000', to: POISON_TO, text: 'poison pill' },
      basic('sender', 'sender-pass'),
    );
    expect(sent.status).toBe(202);
    const id = sent.body.id as string;

    // Given up after MAX_DELIVER deliveries: one dead letter, listed by the admin API.
    let letters: any[] = [];
    await waitFor(async () => {
      letters = (await api('GET', '/dead-letters?stream=carrier')).body.dead_letters;
      return letters.length > 0;
    }, 90_000);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ consumer: expect.stringMatching(/^carrier-/), deliveries: MAX_DELIVER, reason: 'error' });
    expect(letters[0].subject).toMatch(/msg\.out\.carrier\.\d+$/);
    expect(poisonSends().length).toBe(MAX_DELIVER);
    // Not looped: nothing more reaches the carrier, and the carrier stream no longer holds it. Twice
    // the retry delay a delivery past MAX_DELIVER would have come after.
    await sleep(2 * HANDLER_RETRY_MS * 2 ** (MAX_DELIVER - 1));
    expect(poisonSends().length).toBe(MAX_DELIVER);
    expect((await api('GET', '/dead-letters')).body.dead_letters).toHaveLength(1);
    expect(await deadLetterMetric()).toBe(1);
    const shown = await api('GET', `/dead-letters/${letters[0].seq}`);
    expect(shown.status).toBe(200);
    expect(JSON.parse(Buffer.from(shown.body.payload_base64, 'base64').toString('utf8')).message.id).toBe(id);

    // The ledger works again: the sender is told "failed" once, and the ledger says so.
    await db.query('DROP TRIGGER dead_letter_test_guard ON msg_record_db_items');
    await waitFor(() => failedStatuses(id).length > 0, 30_000);
    const legs = await gw.node.store!.records.byMessageId(id);
    expect(legs.find((l) => l.direction === 'outbound')).toMatchObject({ status: 'failed', error: expect.stringContaining('given up') });

    // The carrier works again: the operator replays the letter; the carrier accepts it.
    fake.clearFailures();
    const replay = await api('POST', `/dead-letters/${letters[0].seq}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ message: 'Dead letter replayed', seq: letters[0].seq, subject: letters[0].subject });
    await waitFor(() => poisonSends().some((r) => r.outcome === 'accepted'), 30_000);
    expect((await api('GET', '/dead-letters')).body.dead_letters).toEqual([]);
    expect((await api('GET', `/dead-letters/${letters[0].seq}`)).status).toBe(404);
    await sleep(3_000);
    expect(poisonSends().filter((r) => r.outcome === 'accepted')).toHaveLength(1);
    expect(failedStatuses(id)).toHaveLength(1);
  }, 180_000);

  it('answers the admin routes with JSON errors', async () => {
    expect((await api('GET', '/dead-letters/999999')).status).toBe(404);
    expect((await api('GET', '/dead-letters/999999')).body).toEqual({ error: 'Dead letter not found' });
    expect((await api('POST', '/dead-letters/999999/replay')).status).toBe(404);
    expect((await api('DELETE', '/dead-letters/999999')).status).toBe(404);
    expect((await api('GET', '/dead-letters/abc')).body).toEqual({ error: 'Invalid dead letter ID' });
    expect((await api('GET', '/dead-letters?stream=nope')).status).toBe(400);
    expect((await api('GET', '/dead-letters?limit=0')).status).toBe(400);
    expect((await api('POST', '/dead-letters/replay', { seqs: [] })).status).toBe(400);
    expect((await api('POST', '/dead-letters/replay', { seqs: [999999] })).body).toEqual({
      replayed: [],
      failed: [{ seq: 999999, error: 'Dead letter not found' }],
    });
    expect((await api('GET', '/dead-letters', undefined, basic('x', 'wrong'))).status).toBe(401);
  });
});
