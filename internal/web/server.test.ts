import { connect, type Socket } from 'node:net';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { WebServer } from './server.js';

function slowApp(delayMs: number): Koa {
  const app = new Koa();
  app.use(async (ctx) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    ctx.body = { ok: true };
  });
  return app;
}

describe('WebServer', () => {
  it('listens on a free port and reports its address', async () => {
    const server = new WebServer({ listen: { host: '127.0.0.1', port: 0 } }, { app: slowApp(0) });
    await server.start();
    try {
      expect(server.address().port).toBeGreaterThan(0);
      expect(server.url()).toBe(`http://127.0.0.1:${server.address().port}`);
      expect(await (await fetch(server.url())).json()).toEqual({ ok: true });
    } finally {
      await server.stop();
    }
  });

  it('lets an in-flight request finish on stop(), refuses new ones, and stops once', async () => {
    const server = new WebServer({ listen: { host: '127.0.0.1', port: 0 } }, { app: slowApp(200) });
    await server.start();
    const url = server.url();
    const inFlight = fetch(url).then((res) => res.status);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const first = server.stop();
    expect(server.stop()).toBe(first);
    expect(await inFlight).toBe(200);
    await first;
    await expect(fetch(url)).rejects.toThrow();
  });

  it('cuts requests that outlive the grace period', async () => {
    const server = new WebServer({ listen: { host: '127.0.0.1', port: 0 }, shutdownGraceMs: 50 }, { app: slowApp(5_000) });
    await server.start();
    const inFlight = fetch(server.url()).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await inFlight).toBe('cut');
  });

  it('rejects start() when the port is taken', async () => {
    const first = new WebServer({ listen: { host: '127.0.0.1', port: 0 } }, { app: slowApp(0) });
    await first.start();
    const second = new WebServer({ listen: { host: '127.0.0.1', port: first.address().port } }, { app: slowApp(0) });
    try {
      await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});

describe('WebServer connection caps', () => {
  const sockets: Socket[] = [];
  let server: WebServer | undefined;

  /** A keep-alive GET from `from` (a loopback address); resolves 'served' on an answer, 'closed' when cut without one. */
  function get(from: string): Promise<'served' | 'closed'> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: server!.address().port, localAddress: from });
      sockets.push(socket);
      socket.on('error', () => resolve('closed'));
      socket.once('data', () => resolve('served'));
      socket.once('close', () => resolve('closed'));
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
  }

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await server?.stop();
  });

  it('cuts connections past the per-IP cap, serves other IPs, and exempts trusted proxies', async () => {
    server = new WebServer(
      { listen: { host: '127.0.0.1', port: 0 }, maxConnectionsPerIp: 2, trustedProxies: ['127.0.0.3'] },
      { app: slowApp(0) },
    );
    await server.start();
    expect([await get('127.0.0.1'), await get('127.0.0.1'), await get('127.0.0.1')]).toEqual(['served', 'served', 'closed']);
    expect(await get('127.0.0.2')).toBe('served');
    expect([await get('127.0.0.3'), await get('127.0.0.3'), await get('127.0.0.3')]).toEqual(['served', 'served', 'served']);
  });

  it('cuts connections past the node-wide cap', async () => {
    server = new WebServer({ listen: { host: '127.0.0.1', port: 0 }, maxConnections: 2 }, { app: slowApp(0) });
    await server.start();
    expect([await get('127.0.0.1'), await get('127.0.0.2'), await get('127.0.0.3')]).toEqual(['served', 'served', 'closed']);
  });
});

describe('WebServer slow clients', () => {
  it('cuts a client that has not sent its headers within the headers timeout, within a second or so of it', async () => {
    const server = new WebServer(
      { listen: { host: '127.0.0.1', port: 0 }, headersTimeoutMs: 500, requestTimeoutMs: 1_000 },
      { app: slowApp(0) },
    );
    await server.start();
    try {
      const socket = connect(server.address().port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.once('close', () => resolve(text));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      // Node's own check interval (30 s) would have left it open far longer.
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await server.stop();
    }
  }, 40_000);
});
