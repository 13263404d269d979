/**
 * Batches as cluster work, on real PostgreSQL and nats-server: a batch accepted by one node is
 * cancelled and followed from another; and a batch whose node is killed (SIGKILL) mid-way is
 * finished by the other node, every item reaching the carrier exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDocumented } from '../support/api-contract.js';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { FakeCarrier, registerFakeCarriers } from '../support/fake-carrier.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import { basicAuth as basic, startTestNode, type TestNode } from '../support/test-node.js';
import { waitFor } from '../support/wait.js';

const svc = requireServices(['nats', 'postgres']);
const API_KEY = 'batch-cluster-admin-key';
const admin = basic('admin', API_KEY);
const SENDER = basic('bulk', 'bulk-pass');

/** A carrier on the fake and a web client with one number on it, through `call`. */
async function seed(call: (method: string, path: string, body: unknown) => Promise<{ status: number; body: any }>, fake: FakeCarrier) {
  await registerFakeCarriers(call, fake, ['telnyx']);
  const c = await call('POST', '/clients', { username: 'bulk', password: 'bulk-pass', type: 'web' });
  expect(c.status).toBe(201);
  expect((await call('POST', `/clients/${c.body.id}/numbers`, { number: '+15550001000', carrier: 'telnyx-main' })).status).toBe(201);
}

const recipients = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ to: `+1555${String(3_000_000 + i).padStart(7, '0')}`, text: `${tag}-${i}` }));

describe.skipIf(svc.skip)(svc.title('a batch is cluster work'), () => {
  describe('two nodes on one database and bus', () => {
    let a: TestNode;
    let b: TestNode;
    let fake: FakeCarrier;

    beforeAll(async () => {
      fake = await FakeCarrier.start();
      const env = {
        DATABASE_URL: await createTestDatabase('batch_two'),
        NATS_URL: svc.urls.nats,
        BUS_SUBJECT_PREFIX: uniquePrefix('bt'),
        ENCRYPTION_KEY: 'batch-two-encryption-key-0123456789',
      };
      a = await startTestNode({ serverId: 'batch-a', apiKey: API_KEY, env, contract: true });
      b = await startTestNode({ serverId: 'batch-b', apiKey: API_KEY, env, contract: true });
      await seed((m, p, body) => a.api(m, p, body), fake);
      // The other node learns of the new client over the bus.
      await waitFor(async () => (await b.api('GET', '/messages/batch', undefined, SENDER)).status === 200);
    }, 120_000);

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await fake?.close();
    });

    it('shows progress and takes a cancel on the node that did not accept the batch', async () => {
      const created = await a.api(
        'POST',
        '/messages/batch',
        { from: '+15550001000', throttle_per_second: 5, messages: recipients(60, 'two') },
        SENDER,
      );
      expect(created.status).toBe(202);
      const id = created.body.id;
      await waitFor(async () => (await b.api('GET', `/messages/batch/${id}`, undefined, SENDER)).body.sent_count >= 5);
      const cancel = await b.api('POST', `/messages/batch/${id}/cancel`, undefined, SENDER);
      expect(cancel.body).toMatchObject({ status: 'cancelled', job_id: id });
      expect(cancel.body.cancelled_count).toBeGreaterThan(30);
      await new Promise((r) => setTimeout(r, 2_000));
      const job = (await a.api('GET', `/messages/batch/${id}`, undefined, SENDER)).body;
      expect(job.status).toBe('cancelled');
      // Sends under way when the cancel came still go, and are counted sent: the counts tell what went.
      expect(job.sent_count).toBeLessThan(30);
      expect(job.sent_count + job.failed_count).toBe(60);
      const sentTwo = () => fake.sent('telnyx').filter((r) => (r.body as any).text.startsWith('two-')).length;
      await waitFor(() => sentTwo() >= job.sent_count);
      await new Promise((r) => setTimeout(r, 500));
      expect(sentTwo()).toBe(job.sent_count);
    });
  });

  describe('a node killed mid-batch', () => {
    let env: Record<string, string>;
    let fake: FakeCarrier;
    const nodes: GatewayProcess[] = [];

    beforeAll(async () => {
      fake = await FakeCarrier.start();
      env = {
        DATABASE_URL: await createTestDatabase('batch_kill'),
        NATS_URL: svc.urls.nats,
        BUS_SUBJECT_PREFIX: uniquePrefix('bk'),
        ENCRYPTION_KEY: 'batch-kill-encryption-key-0123456789',
        API_KEY,
        SERVER_ADDRESS: 'http://127.0.0.1:9',
        BATCH_LEASE_SECS: '3',
        NOTIFY_SENDER_ON_FAILURE: 'false',
      };
      nodes.push(await startGatewayProcess('bk1', env));
    }, 120_000);

    afterAll(async () => {
      await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
      await fake?.close();
    });

    const call = async (node: GatewayProcess, method: string, path: string, body?: unknown, auth = admin) => {
      const res = await fetch(`${node.url}${path}`, {
        method,
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = { status: res.status, body: (await res.json().catch(() => undefined)) as any };
      assertDocumented(method, path, answer.status, answer.body);
      return answer;
    };

    it('is finished by the other node, every item sent exactly once', async () => {
      const [first] = nodes;
      await seed((m, p, body) => call(first!, m, p, body), fake);
      const total = 300;
      const created = await call(
        first!,
        'POST',
        '/messages/batch',
        { from: '+15550001000', throttle_per_second: 15, messages: recipients(total, 'kill') },
        SENDER,
      );
      expect(created.status).toBe(202);
      const id = created.body.id;
      // Only the first node runs: it took the batch. The second joins while it sends.
      const second = await startGatewayProcess('bk2', env);
      nodes.push(second);
      await waitFor(async () => (await call(second, 'GET', `/messages/batch/${id}`, undefined, SENDER)).body?.sent_count >= 60, 60_000);
      const before = (await call(second, 'GET', `/messages/batch/${id}`, undefined, SENDER)).body;
      expect(before.status).toBe('processing');
      nodes.splice(nodes.indexOf(first!), 1);
      await first!.stop('SIGKILL');

      let job: any;
      await waitFor(async () => {
        job = (await call(second, 'GET', `/messages/batch/${id}`, undefined, SENDER)).body;
        return job.status === 'completed';
      }, 90_000);
      expect(job).toMatchObject({ total_count: total, sent_count: total, failed_count: 0, pending_count: 0 });
      await waitFor(() => new Set(fake.sent('telnyx').map((r) => (r.body as any).text)).size >= total, 60_000);
      const counts = fake.countBy((r) => (r.body as { text?: string }).text).counts;
      const twice = [...counts.entries()].filter(([, n]) => n > 1).map(([text]) => text);
      expect(twice).toEqual([]);
      expect(counts.size).toBe(total);
    }, 240_000);
  });
});
