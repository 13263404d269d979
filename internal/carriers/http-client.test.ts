import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTimeoutError, KeepAlivePool } from './http-client.js';

describe('KeepAlivePool', () => {
  let server: Server;
  let base: string;
  const pool = new KeepAlivePool();
  const seen: Array<{ method?: string; url?: string; headers: Record<string, unknown>; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2_000);
        if (req.url === '/chunked') {
          res.write('{"part":');
          return void setTimeout(() => res.end('"two"}'), 20);
        }
        if (req.url === '/held') return void setTimeout(() => res.end('held'), 100);
        if (req.url === '/stall') {
          res.write('{"half":');
          return;
        }
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    pool.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends method, path with query, headers and body, and returns status, headers and body', async () => {
    const res = await pool.request({
      url: `${base}/v1/send?x=1`,
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: '{"to":"+1"}',
      signal: new AbortController().signal,
      timeoutMs: 1_000,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('Content-Type')).toBe('application/json');
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(res.headers.get('x-missing')).toBeNull();
    expect(res.body.toString()).toBe('{"ok":true}');
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ method: 'POST', url: '/v1/send?x=1', body: '{"to":"+1"}' });
    expect(last.headers).toMatchObject({ authorization: 'Bearer k', 'content-length': '11' });
  });

  it('rejects with HttpTimeoutError when no answer comes within the timeout', async () => {
    const started = Date.now();
    await expect(
      pool.request({ url: `${base}/slow`, method: 'GET', headers: {}, signal: new AbortController().signal, timeoutMs: 200 }),
    ).rejects.toBeInstanceOf(HttpTimeoutError);
    // The call's own deadline, not undici's coarse timers (which fired ~1 s late).
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(600);
  });

  it('gathers a body that arrives in several chunks', async () => {
    const res = await pool.request({
      url: `${base}/chunked`,
      method: 'GET',
      headers: {},
      signal: new AbortController().signal,
      timeoutMs: 1_000,
    });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('{"part":"two"}');
  });

  it('times out a body that stops half way (the deadline runs to the last byte)', async () => {
    await expect(
      pool.request({ url: `${base}/stall`, method: 'GET', headers: {}, signal: new AbortController().signal, timeoutMs: 200 }),
    ).rejects.toBeInstanceOf(HttpTimeoutError);
  });

  it('opens at most `connections` sockets to a host; calls beyond wait for one', async () => {
    const small = new KeepAlivePool(2);
    const sockets = new Set<unknown>();
    let inFlight = 0;
    let most = 0;
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      if (req.url !== '/held') return;
      sockets.add(req.socket);
      most = Math.max(most, ++inFlight);
      res.once('finish', () => void (inFlight -= 1));
    };
    server.on('request', onRequest);
    try {
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          small.request({ url: `${base}/held`, method: 'GET', headers: {}, signal: new AbortController().signal, timeoutMs: 2_000 }),
        ),
      );
      expect(answers.map((a) => a.body.toString())).toEqual(Array(6).fill('held'));
      expect(most).toBe(2);
      expect(sockets.size).toBe(2);
      // Three rounds of two, each held 100 ms.
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    } finally {
      server.off('request', onRequest);
      small.close();
    }
  });

  it('rejects at once when the caller aborts, and is not a timeout', async () => {
    const ac = new AbortController();
    const call = pool.request({ url: `${base}/slow`, method: 'GET', headers: {}, signal: ac.signal, timeoutMs: 5_000 });
    setTimeout(() => ac.abort(), 50);
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(HttpTimeoutError);
  });

  it('lets many calls share one stop signal without a listener-leak warning, and cleans up after each', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const shared = new AbortController().signal;
    const calls = Array.from({ length: 50 }, () =>
      pool.request({ url: `${base}/v1/send`, method: 'POST', headers: {}, body: '{}', signal: shared, timeoutMs: 2_000 }),
    );
    expect((await Promise.all(calls)).every((r) => r.status === 201)).toBe(true);
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('aborts every call in flight under a shared stop signal at once', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const calls = Array.from({ length: 5 }, () =>
      pool.request({ url: `${base}/slow`, method: 'GET', headers: {}, signal: stop.signal, timeoutMs: 5_000 }).catch((e: unknown) => e),
    );
    setTimeout(() => stop.abort(), 50);
    const errors = await Promise.all(calls);
    expect(errors.every((e) => e instanceof Error && !(e instanceof HttpTimeoutError))).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    // A call made after the stop does not start.
    await expect(
      pool.request({ url: `${base}/v1/send`, method: 'POST', headers: {}, body: '{}', signal: stop.signal, timeoutMs: 1_000 }),
    ).rejects.toThrow('aborted');
  });

  it('rejects a connection refused with a network error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await pool
      .request({ url: `http://127.0.0.1:${port}/`, method: 'GET', headers: {}, signal: new AbortController().signal, timeoutMs: 1_000 })
      .catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(HttpTimeoutError);
  });
});
