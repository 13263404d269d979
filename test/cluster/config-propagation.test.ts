/**
 * Two gateway processes on one PostgreSQL and one NATS: a client or carrier created, changed or
 * deleted through one is seen by the other — its API answers from its in-memory directory —
 * within a second, without calling a reload endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';

const svc = requireServices(['nats', 'postgres', 'redis']);
const API_KEY = 'cluster-test-admin-key';
const auth = { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}` };
const PROPAGATION_LIMIT_MS = 1_000;

async function api(node: GatewayProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${node.url}${path}`, {
    method,
    headers: { ...auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Polls `check` on a node until it holds; returns how long that took. */
async function seenWithin(check: () => Promise<boolean>, limitMs = PROPAGATION_LIMIT_MS): Promise<number> {
  const started = Date.now();
  while (Date.now() - started <= limitMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`not seen within ${limitMs} ms`);
}

describe.skipIf(svc.skip)(svc.title('configuration across two gateway processes'), () => {
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    const env = {
      DATABASE_URL: await createTestDatabase('cluster_cfg'),
      NATS_URL: svc.urls.nats,
      REDIS_URL: svc.urls.redis,
      ENCRYPTION_KEY: 'cluster-test-encryption-key-0123456789',
      API_KEY,
      BUS_SUBJECT_PREFIX: uniquePrefix('cfg'),
      SERVER_ADDRESS: 'https://gw.example.test',
    };
    // Both start at once on an empty database: migrations must take turns under their lock.
    [a, b] = await Promise.all([startGatewayProcess('gwA', env), startGatewayProcess('gwB', env)]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("shows a client created on A in B's API within a second, then its changes and its deletion", async () => {
    const created = await api(a, 'POST', '/clients', {
      username: 'zultys',
      password: 'smpp_pass',
      type: 'legacy',
      name: 'Zultys MX',
      address: '192.168.1.100',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    await seenWithin(async () => (await api(b, 'GET', `/clients/${id}`)).status === 200);

    const changed = await api(b, 'PUT', `/clients/${id}/settings`, { sms_daily_limit: 500 });
    expect(changed.status).toBe(200);
    await seenWithin(async () => (await api(a, 'GET', `/clients/${id}/settings`)).body?.sms_daily_limit === 500);

    const deleted = await api(a, 'DELETE', `/clients/${id}`);
    expect(deleted.status).toBe(200);
    await seenWithin(async () => (await api(b, 'GET', `/clients/${id}`)).status === 404);
  });

  it('propagates a number added on B to A, exactly as stored', async () => {
    const client = await api(b, 'POST', '/clients', {
      username: 'bicom',
      password: 'api_key',
      type: 'web',
      name: 'Bicom',
      timezone: 'America/Vancouver',
    });
    expect(client.status).toBe(201);
    await api(b, 'POST', '/carriers', { name: 'telnyx-main', type: 'telnyx', username: 'x', password: 'KEY1' });
    const number = await api(b, 'POST', `/clients/${client.body.id}/numbers`, {
      number: '+1 (250) 555-0100',
      carrier: 'telnyx-main',
    });
    expect(number.status).toBe(201);
    await seenWithin(async () => {
      const list = await api(a, 'GET', `/clients/${client.body.id}/numbers`);
      return list.status === 200 && list.body.some((n: { number: string }) => n.number === '+12505550100');
    });
  });

  it('propagates carrier creation, update and deletion both ways', async () => {
    const created = await api(a, 'POST', '/carriers', { name: 'twilio-a', type: 'twilio', username: 'AC1', password: 't1' });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const findOnB = async () =>
      ((await api(b, 'GET', '/carriers')).body as Array<{ id: number; api_base_url?: string }>).find((c) => c.id === id);
    await seenWithin(async () => (await findOnB()) !== undefined);

    const updated = await api(b, 'PUT', `/carriers/${id}`, { api_base_url: 'http://127.0.0.1:9/sandbox' });
    expect(updated.status).toBe(200);
    await seenWithin(async () =>
      ((await api(a, 'GET', '/carriers')).body as Array<{ id: number; api_base_url: string }>).some(
        (c) => c.id === id && c.api_base_url === 'http://127.0.0.1:9/sandbox',
      ),
    );

    expect((await api(a, 'DELETE', `/carriers/${id}`)).status).toBe(200);
    await seenWithin(async () => (await findOnB()) === undefined);
  });

  it('answers /stats on either node with both nodes listed', async () => {
    const stats = await api(a, 'GET', '/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.nodes.map((n: { server_id: string }) => n.server_id)).toEqual(['gwA', 'gwB']);
  });
});
