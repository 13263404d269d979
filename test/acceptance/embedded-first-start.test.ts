/**
 * Trying the gateway as a newcomer does: `npm start` with no settings, i.e. the compiled build
 * with production's node flags on a fresh data dir. The first start says where it listens and
 * prints the admin API key, the key works, an idle node stays small enough for a small VM or a
 * laptop, and after a restart on the same data dir what was configured is still there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS } from '../../cmd/gateway/launch.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import { rssMb } from '../bench/measure.js';

const ENTRY = 'dist/cmd/gateway/main.js';
/** What an idle embedded node may hold (RSS): a small VM or a laptop runs it beside other things. */
const IDLE_RSS_LIMIT_MB = 300;
/** Long enough for start-up's garbage to be collected and the first periodic jobs to run. */
const IDLE_MS = 10_000;

describe('the embedded default, first start and restart', () => {
  let dataDir: string;
  let node: GatewayProcess | undefined;

  beforeAll(async () => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` (npm test does)`);
    dataDir = await mkdtemp(join(tmpdir(), 'msggw-first-start-'));
  });
  afterAll(async () => {
    await node?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  // No API_KEY, no services: only where to keep data and which ports to take differ from `npm start`.
  const start = () => startGatewayProcess('first-start', { DATA_DIR: dataDir, LOG_LEVEL: 'info' }, [...GATEWAY_NODE_FLAGS], ENTRY);
  const admin = (key: string) => ({
    authorization: `Basic ${Buffer.from(`admin:${key}`).toString('base64')}`,
    'content-type': 'application/json',
  });
  let apiKey = '';

  it('says where it listens and prints the admin API key, which works', async () => {
    node = await start();
    const port = new URL(node.url).port;
    expect(node.output()).toMatch(new RegExp(`"web":\\{"host":"127\\.0\\.0\\.1","port":${port}\\}.*"msg":"gateway node ready"`));
    expect(node.output()).toContain(`generated admin API key (kept in ${join(dataDir, 'secrets.json')})`);
    apiKey = /API_KEY=(\S+)/.exec(node.output())?.[1] ?? '';
    expect(apiKey).not.toBe('');

    const created = await fetch(`${node.url}/clients`, {
      method: 'POST',
      headers: admin(apiKey),
      body: JSON.stringify({ username: 'first-start', password: 'first-start-pass', type: 'web' }),
    });
    expect(created.status).toBe(201);
  }, 120_000);

  it(`holds under ${IDLE_RSS_LIMIT_MB} MB when idle after its first start`, async () => {
    await new Promise((r) => setTimeout(r, IDLE_MS));
    expect(rssMb(node!.pid).rss).toBeLessThan(IDLE_RSS_LIMIT_MB);
  }, 60_000);

  it(`keeps its clients across a restart and holds under ${IDLE_RSS_LIMIT_MB} MB when idle again`, async () => {
    await node!.stop();
    node = await start();
    expect(node.output()).toContain(`admin API key is in ${join(dataDir, 'secrets.json')}`);
    const clients = (await (await fetch(`${node.url}/clients`, { headers: admin(apiKey) })).json()) as Array<{ username: string }>;
    expect(clients.map((c) => c.username)).toContain('first-start');

    await new Promise((r) => setTimeout(r, IDLE_MS));
    expect(rssMb(node.pid).rss).toBeLessThan(IDLE_RSS_LIMIT_MB);
  }, 120_000);
});
