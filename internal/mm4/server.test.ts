import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log/index.js';
import { captureLogger } from '../../test/support/log-capture.js';
import { createMetrics } from '../metrics/index.js';
import type { ClientDetails } from '../store/index.js';
import { MAX_ENVELOPE_RECIPIENTS, Mm4Server, type Mm4ServerOptions } from './server.js';

const client = { id: 1, username: 'pbx', type: 'legacy', address: '203.0.113.9', numbers: [] } as unknown as ClientDetails;

/**
 * Opens a connection, writes `first` (and `afterGreeting` once the 220 greeting came: an SMTP
 * server refuses a client that talks first), and resolves with everything read until the server
 * closes or `until` shows up.
 */
function converse(port: number, first: Buffer | string, until: RegExp, afterGreeting?: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = () => {
      socket.destroy();
      resolve(text);
    };
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (afterGreeting !== undefined && /^220 /m.test(text)) {
        socket.write(afterGreeting);
        afterGreeting = undefined;
      }
      if (until.test(text)) done();
    });
    socket.on('close', done);
    socket.on('error', done);
    socket.write(first);
  });
}

describe('Mm4Server with PROXY protocol', () => {
  let server: Mm4Server;
  const seen: string[] = [];
  let log = captureLogger();
  let metrics = createMetrics({ serverId: 'n1', defaultMetrics: false });

  async function start(options: Partial<Mm4ServerOptions> = {}) {
    server = new Mm4Server(
      {
        listen: { host: '127.0.0.1', port: 0 },
        proxyProtocol: true,
        trustedProxies: ['127.0.0.1'],
        maxMessageBytes: 1024,
        name: 'gw.test',
        ...options,
      },
      {
        peers: { clientsFor: async (ip) => (seen.push(ip), ip.startsWith('203.0.113.') ? [client] : []) },
        inbound: { receive: async () => 'Message queued for processing' },
        logger: log.logger,
        metrics,
      },
    );
    await server.start();
    return server.address()!.port;
  }

  afterEach(async () => {
    await server?.stop();
    seen.length = 0;
    log = captureLogger();
    metrics = createMetrics({ serverId: 'n1', defaultMetrics: false });
  });

  it("identifies the peer by the v1 header's source address", async () => {
    const port = await start();
    const text = await converse(port, 'PROXY TCP4 203.0.113.9 10.0.0.1 5000 2566\r\n', /^220 /m);
    expect(text).toMatch(/^220 gw\.test ESMTP SMTP server ready/);
    expect(seen).toEqual(['203.0.113.9']);
    expect(server.stats()).toEqual([expect.objectContaining({ username: 'pbx', active_sessions: 1 })]);
  });

  it('answers 452 to RCPT TO past MAX_ENVELOPE_RECIPIENTS, keeping the session and its recipients', async () => {
    const port = await start();
    const rcpts = Array.from(
      { length: MAX_ENVELOPE_RECIPIENTS + 2 },
      (_, i) => `RCPT TO:<+1555${String(i).padStart(7, '0')}/TYPE=PLMN>\r\n`,
    );
    const commands = `EHLO peer\r\nMAIL FROM:<+15550000001/TYPE=PLMN>\r\n${rcpts.join('')}NOOP\r\n`;
    const text = await converse(port, 'PROXY TCP4 203.0.113.9 10.0.0.1 5000 2566\r\n', /^250 OK/m, commands);
    const replies = text.split('\r\n').filter((line) => /^(250 Accepted|452 )/.test(line));
    expect(replies.filter((line) => line === '250 Accepted')).toHaveLength(MAX_ENVELOPE_RECIPIENTS + 1); // MAIL FROM too
    expect(replies.slice(-2)).toEqual(['452 Error: too many recipients', '452 Error: too many recipients']);
  });

  it("counts open sessions by client for /metrics and logs the peer's AuthSuccess", async () => {
    const port = await start();
    const socket = connect(port, '127.0.0.1');
    socket.write('PROXY TCP4 203.0.113.9 10.0.0.1 5000 2566\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    expect(await metrics.render()).toMatch(/^msggw_mm4_sessions\{client="pbx",server_id="n1"\} 1$/m);
    expect(log.event('AuthSuccess')).toMatchObject({ level: 30, ip: '203.0.113.9', clients: ['pbx'] });
    socket.destroy();
  });

  it('reads a v2 header and refuses an address no client allows with 550 Access denied', async () => {
    const port = await start();
    const v2 = Buffer.concat([
      Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c]),
      Buffer.from([198, 51, 100, 7, 10, 0, 0, 1, 0x13, 0x88, 0x0a, 0x06]),
    ]);
    expect(await converse(port, v2, /^550 /m)).toMatch(/^550 Access denied/);
    expect(seen).toEqual(['198.51.100.7']);
    expect(log.event('AuthFailed')).toMatchObject({ level: 30, ip: '198.51.100.7' });
    expect(await metrics.render()).toMatch(/^msggw_mm4_peers_refused_total\{server_id="n1"\} 1$/m);
    expect(await metrics.render()).not.toMatch(/^msggw_mm4_sessions\{/m);
  });

  it('drops a connection that does not start with a PROXY header', async () => {
    const port = await start();
    expect(await converse(port, 'EHLO me\r\n', /^\d{3} /m)).toBe('');
    expect(seen).toEqual([]);
  });

  it('closes a connection whose PROXY header comes from a peer not in TRUSTED_PROXIES', async () => {
    const port = await start({ trustedProxies: ['10.0.0.0/8'] });
    expect(await converse(port, 'PROXY TCP4 203.0.113.9 10.0.0.1 5000 2566\r\n', /^\d{3} /m)).toBe('');
    expect(seen).toEqual([]);
  });
});

describe('Mm4Server connection caps', () => {
  let server: Mm4Server;
  const open: Socket[] = [];

  /** A connection whose PROXY header names `ip`; resolves with the first reply line. */
  function greeted(port: number, ip: string): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      open.push(socket);
      socket.on('error', () => resolve('error'));
      socket.once('data', (chunk) => resolve(chunk.toString().split('\r\n')[0]!));
      socket.once('close', () => resolve('closed'));
      socket.write(`PROXY TCP4 ${ip} 10.0.0.1 5000 2566\r\n`);
    });
  }

  afterEach(async () => {
    for (const socket of open.splice(0)) socket.destroy();
    await server?.stop();
  });

  it('answers 421 past the per-IP and the node-wide cap, and keeps serving the others', async () => {
    server = new Mm4Server(
      {
        listen: { host: '127.0.0.1', port: 0 },
        proxyProtocol: true,
        trustedProxies: ['127.0.0.1'],
        maxMessageBytes: 1024,
        name: 'gw.test',
        maxConnections: 4,
        maxConnectionsPerIp: 2,
      },
      { peers: { clientsFor: async () => [client] }, inbound: { receive: async () => 'ok' }, logger: silentLogger() },
    );
    await server.start();
    const port = server.address()!.port;
    expect(await greeted(port, '203.0.113.1')).toMatch(/^220 /);
    expect(await greeted(port, '203.0.113.1')).toMatch(/^220 /);
    expect(await greeted(port, '203.0.113.1')).toMatch(/^421 /);
    expect(await greeted(port, '203.0.113.2')).toMatch(/^220 /);
    expect(await greeted(port, '203.0.113.3')).toMatch(/^220 /);
    expect(await greeted(port, '203.0.113.4')).toMatch(/^421 /);
    // A slot frees as its connection closes.
    open[0]!.destroy();
    const sessions = () => server.stats().reduce((n, row) => n + row.active_sessions, 0);
    while (sessions() > 3) await new Promise((r) => setImmediate(r));
    expect(await greeted(port, '203.0.113.4')).toMatch(/^220 /);
  });
});
