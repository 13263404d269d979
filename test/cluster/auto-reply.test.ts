/**
 * Auto-reply across two gateway processes sharing PostgreSQL, NATS and Redis: messages from one
 * sender to an auto-replying number, arriving on both nodes at once, get exactly one reply per
 * cooldown (upstream kept the cooldown per process, so each node answered).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { FakeCarrier, telnyxEvent } from '../support/fake-carrier.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import { waitFor } from '../support/wait.js';

const svc = requireServices(['nats', 'postgres', 'redis']);
const API_KEY = 'cluster-autoreply-admin-key';
const auth = { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}` };
const AWAY = '+15550007000';

async function api(node: GatewayProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${node.url}${path}`, {
    method,
    headers: { ...auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe.skipIf(svc.skip)(svc.title('auto-reply across two gateway processes'), () => {
  let a: GatewayProcess;
  let b: GatewayProcess;
  let fake: FakeCarrier;
  let uuid: string;

  beforeAll(async () => {
    fake = await FakeCarrier.start();
    const env = {
      DATABASE_URL: await createTestDatabase('cluster_autoreply'),
      NATS_URL: svc.urls.nats,
      REDIS_URL: svc.urls.redis,
      ENCRYPTION_KEY: 'cluster-autoreply-encryption-key-0123',
      API_KEY,
      BUS_SUBJECT_PREFIX: uniquePrefix('ar'),
      SERVER_ADDRESS: 'https://gw.example.test',
      AUTO_REPLY_ENABLED: 'true',
    };
    [a, b] = await Promise.all([startGatewayProcess('arA', env), startGatewayProcess('arB', env)]);
    const telnyx = fake.carrierRow('telnyx');
    const carrier = await api(a, 'POST', '/carriers', {
      name: 'telnyx-main',
      type: 'telnyx',
      username: 'x',
      password: telnyx.password,
      api_base_url: fake.url,
      public_key: telnyx.publicKey,
      max_rps: 1000,
    });
    expect(carrier.status).toBe(201);
    uuid = carrier.body.uuid;
    const client = await api(a, 'POST', '/clients', { username: 'away', password: 'away-pass', type: 'web' });
    await api(a, 'PUT', `/clients/${client.body.id}/settings`, { default_webhook: 'http://127.0.0.1:9/unused' });
    const number = await api(a, 'POST', `/clients/${client.body.id}/numbers`, { number: AWAY, carrier: 'telnyx-main' });
    expect(
      (await api(a, 'PUT', `/numbers/${number.body.id}/auto-reply`, { enabled: true, message: 'Away', cooldown_secs: 3600 })).status,
    ).toBe(200);
    await waitFor(async () => (await api(b, 'GET', `/numbers/${number.body.id}/auto-reply`)).body?.effective_enabled === true);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), fake?.close()]);
  });

  it('sends one reply for messages from one sender landing on both nodes at once', async () => {
    const inbound = (node: GatewayProcess, i: number) =>
      fake.postTelnyxWebhook(
        `${node.url}/inbound/${uuid}`,
        telnyxEvent('message.received', {
          id: `cl-${i}`,
          direction: 'inbound',
          text: `hello ${i}`,
          from: { phone_number: '+15557770100' },
          to: [{ phone_number: AWAY }],
          media: [],
        }),
      );
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => inbound(i % 2 ? a : b, i)));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    const replies = () => fake.sent('telnyx').filter((r) => (r.body as any).to === '+15557770100');
    await waitFor(() => replies().length >= 1);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(replies()).toHaveLength(1);
    expect(replies()[0]!.body).toMatchObject({ from: AWAY, to: '+15557770100', text: 'Away' });
  });
});
