/**
 * The compiled build production runs (`npm run build` → dist/cmd/gateway/main.js; npm test builds
 * it first): started as its own process, on the embedded default and in cluster mode, it serves
 * the admin API and carries a REST send through to a test carrier. The other process tests start
 * the TypeScript sources (bin/msggw.js); this one proves the build is whole (every module
 * compiled, the lazily loaded PGlite found at run time).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeCarrier } from '../support/fake-carrier.js';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import { GATEWAY_NODE_FLAGS } from '../../cmd/gateway/launch.js';

const ENTRY = 'dist/cmd/gateway/main.js';
const API_KEY = 'compiled-build-admin-key';
const svc = requireServices(['nats', 'postgres', 'redis']);
const admin = { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' };

async function post(node: GatewayProcess, path: string, body: unknown, headers: Record<string, string> = admin) {
  const res = await fetch(`${node.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

/** Sets up a carrier, a web client and its number, sends one message, waits for the carrier. */
async function sendsThrough(node: GatewayProcess, fake: FakeCarrier, tag: string): Promise<void> {
  const row = fake.carrierRow('telnyx');
  expect(
    (
      await post(node, '/carriers', {
        name: `telnyx-${tag}`,
        type: 'telnyx',
        username: 'x',
        password: row.password,
        api_base_url: fake.url,
      })
    ).status,
  ).toBe(201);
  const client = await post(node, '/clients', { username: `web-${tag}`, password: 'web-pass', type: 'web' });
  expect(client.status).toBe(201);
  expect((await post(node, `/clients/${client.body.id}/numbers`, { number: '+15550001000', carrier: `telnyx-${tag}` })).status).toBe(201);
  const text = `compiled ${tag}`;
  const sent = await post(
    node,
    '/messages/send',
    { from: '+15550001000', to: '+15552000001', text },
    { authorization: `Basic ${Buffer.from(`web-${tag}:web-pass`).toString('base64')}`, 'content-type': 'application/json' },
  );
  expect(sent.status).toBe(202);
  const deadline = Date.now() + 20_000;
  while (!fake.sent().some((r) => (r.body as { text?: string }).text === text)) {
    if (Date.now() > deadline) throw new Error(`"${text}" did not reach the carrier; gateway output:\n${node.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the compiled build', () => {
  let fake: FakeCarrier;
  const nodes: GatewayProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` (npm test does)`);
    fake = await FakeCarrier.start();
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await fake?.close();
  });

  it('runs on the embedded default and carries a REST send to the carrier', async () => {
    const node = await startGatewayProcess('built-embedded', { API_KEY }, [...GATEWAY_NODE_FLAGS], ENTRY);
    nodes.push(node);
    expect((await fetch(`${node.url}/health`)).status).toBe(200);
    await sendsThrough(node, fake, 'embedded');
  });

  it.skipIf(svc.skip)('runs in cluster mode and carries a REST send to the carrier', async () => {
    const node = await startGatewayProcess(
      'built-cluster',
      {
        API_KEY,
        DATABASE_URL: await createTestDatabase('compiled_build'),
        NATS_URL: svc.urls.nats,
        REDIS_URL: svc.urls.redis,
        ENCRYPTION_KEY: 'compiled-build-encryption-key-0123456789',
        BUS_SUBJECT_PREFIX: uniquePrefix('built'),
        SERVER_ADDRESS: 'https://gw.example.test',
      },
      [...GATEWAY_NODE_FLAGS],
      ENTRY,
    );
    nodes.push(node);
    const metrics = await (await fetch(`${node.url}/metrics`, { headers: admin })).text();
    expect(metrics).toContain('msggw_');
    await sendsThrough(node, fake, 'cluster');
  });
});
