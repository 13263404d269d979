import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../metrics/index.js';
import { metricsEndpoint } from './metrics.js';

const API_KEY = 'metrics-admin-key';
const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Serves the metrics endpoint in front of a 404 fallback; returns the base URL. */
async function serve(): Promise<string> {
  const metrics = createMetrics({ serverId: 'm1' });
  metrics.ingress.inc({ protocol: 'web' });
  const app = new Koa();
  app.use(metricsEndpoint({ metrics, path: '/metrics' }, API_KEY));
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { error: 'not found' };
  });
  const handle = app.callback();
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('metricsEndpoint on the web port', () => {
  it('answers 404 without the admin credentials, so the public port names no client or carrier', async () => {
    const base = await serve();
    for (const authorization of [undefined, basic('wrong'), 'Bearer x', 'Basic !!!']) {
      const res = await fetch(`${base}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('msggw_');
    }
  });

  it('serves the exposition to the admin', async () => {
    const base = await serve();
    const res = await fetch(`${base}/metrics`, { headers: { authorization: basic(API_KEY) } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^msggw_messages_ingress_total\{[^}]*protocol="web"[^}]*\} 1$/m);
  });
});
