/**
 * Who can read a node's metrics (they name clients and carriers): on the web port only the admin;
 * on PROMETHEUS_LISTEN, when set, whoever reaches it (the operator binds it where only the
 * scraper does).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/process.js';
import { startTestNode, type TestNode } from '../support/test-node.js';

const API_KEY = 'metrics-access-admin-key';
const admin = { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}` };

describe('metrics access', () => {
  let node: TestNode | undefined;
  afterEach(async () => {
    await node?.stop();
    node = undefined;
  });

  it('answers 404 on the web port without the admin key, and serves the admin', async () => {
    node = await startTestNode({ serverId: 'metrics1', apiKey: API_KEY });
    const anonymous = await fetch(`${node.base}/metrics`);
    expect(anonymous.status).toBe(404);
    expect(await anonymous.text()).not.toContain('msggw_');
    const res = await fetch(`${node.base}/metrics`, { headers: admin });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('msggw_');
    expect((await fetch(`${node.base}/health`)).status).toBe(200);
  });

  it('serves PROMETHEUS_LISTEN without credentials when it is set', async () => {
    const port = await freePort();
    node = await startTestNode({ serverId: 'metrics2', apiKey: API_KEY, env: { PROMETHEUS_LISTEN: `127.0.0.1:${port}` } });
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('msggw_');
    expect((await fetch(`${node.base}/metrics`)).status).toBe(404);
  });
});
