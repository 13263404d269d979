import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeepAlivePool } from './http-client.js';
import { formatRequest, Http1Pool, HttpProtocolError, type Http1Answer } from './http1.js';

/**
 * The client against a raw TCP server that answers exactly the bytes each test scripts, so
 * framing (lengths, chunks, splits, closes, garbage) is what the test says, not what a server
 * library would send. http-client.test.ts covers the same client against node:http.
 */
type Script = (socket: Socket, request: string, n: number) => void;

let server: Server | undefined;
let connections = 0;

async function rawServer(script: Script): Promise<URL> {
  connections = 0;
  server = createServer((socket) => {
    connections += 1;
    let buffered = '';
    let n = 0;
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      // One request per head+body (content-length only, as our client writes).
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const request = buffered.slice(0, end + 4 + length);
        buffered = buffered.slice(end + 4 + length);
        script(socket, request, n++);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/messages`);
}

afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** One call on `pool`, as KeepAlivePool makes it. */
function call(pool: Http1Pool, url: URL, body = '{}'): Promise<Http1Answer> {
  return new Promise((resolve, reject) =>
    pool.send({
      request: formatRequest('POST', url.host, url.pathname, { 'content-type': 'application/json' }, body),
      done: (err, res) => (err ? reject(err) : resolve(res!)),
    }),
  );
}

/** Writes `bytes` a few at a time with pauses, so the client sees every split. */
async function dribble(socket: Socket, bytes: string, size = 3): Promise<void> {
  for (let i = 0; i < bytes.length; i += size) {
    socket.write(bytes.slice(i, i + size));
    await new Promise((r) => setTimeout(r, 1));
  }
}

const OK = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('formatRequest', () => {
  it('writes the request line, Host, the headers, a byte-exact Content-Length and the body', () => {
    expect(formatRequest('POST', 'api.example:8443', '/v2/messages?x=1', { Authorization: 'Bearer k' }, '{"text":"héllo"}')).toBe(
      'POST /v2/messages?x=1 HTTP/1.1\r\nAuthorization: Bearer k\r\nhost: api.example:8443\r\ncontent-length: 17\r\n\r\n{"text":"héllo"}',
    );
  });

  it("keeps a caller's Host, drops framing headers it sets itself, and sends no length on a GET without body", () => {
    expect(formatRequest('GET', 'a', '/', { Host: 'b', 'Content-Length': '99', Connection: 'close', 'Transfer-Encoding': 'chunked' })).toBe(
      'GET / HTTP/1.1\r\nHost: b\r\n\r\n',
    );
  });

  it('refuses a header that would split the request', () => {
    expect(() => formatRequest('POST', 'a', '/', { 'x-evil': 'a\r\nInjected: 1' }, '')).toThrow(TypeError);
    expect(() => formatRequest('POST', 'a', '/', { 'x-evil\n': 'a' }, '')).toThrow(TypeError);
  });
});

describe('Http1Pool', () => {
  it('reads answers split at every few bytes, and reuses the socket', async () => {
    const url = await rawServer((socket, _req, n) => void dribble(socket, OK(`{"n":${n}}`)));
    const pool = new Http1Pool(url, { connections: 4 });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await call(pool, url);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/json');
        expect(res.body.toString()).toBe(`{"n":${i}}`);
      }
      expect(connections).toBe(1);
    } finally {
      pool.close();
    }
  });

  it('reads a chunked answer with extensions and trailers, split anywhere, then reuses the socket', async () => {
    const chunked =
      'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=x\r\n{"id"\r\n' +
      'A\r\n:"abc-123"\r\n' +
      '1\r\n}\r\n' +
      '0\r\nX-Trailer: t\r\n\r\n';
    const url = await rawServer((socket) => void dribble(socket, chunked, 2));
    const pool = new Http1Pool(url, { connections: 1 });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await call(pool, url);
        expect(res.status).toBe(201);
        expect(res.body.toString()).toBe('{"id":"abc-123"}');
      }
      expect(connections).toBe(1);
    } finally {
      pool.close();
    }
  });

  it('skips 1xx answers, reads a 204 without body, joins repeated headers', async () => {
    const url = await rawServer((socket, _req, n) =>
      socket.write(
        n === 0
          ? 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok'
          : 'HTTP/1.1 204 No Content\r\nX-Id: 7\r\n\r\n',
      ),
    );
    const pool = new Http1Pool(url, { connections: 1 });
    try {
      const first = await call(pool, url);
      expect(first.body.toString()).toBe('ok');
      expect(first.headers['set-cookie']).toBe('a=1, b=2');
      const second = await call(pool, url);
      expect(second.status).toBe(204);
      expect(second.body.length).toBe(0);
      expect(second.headers['x-id']).toBe('7');
    } finally {
      pool.close();
    }
  });

  it('reads header names whatever their case and name, and HTTP/1.0 keeps the socket only when asked', async () => {
    const url = await rawServer((socket, _req, n) =>
      socket.write(
        n === 0
          ? 'HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\nConstructor:  x \r\n__proto__: y\r\nContent-Length: 2\r\n\r\nok'
          : 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok',
      ),
    );
    const pool = new Http1Pool(url, { connections: 1 });
    try {
      const first = await call(pool, url);
      expect(first.headers.constructor).toBe('x');
      expect(first.headers.__proto__).toBe('y');
      await call(pool, url);
      expect(connections).toBe(1);
      await call(pool, url);
      expect(connections).toBe(2);
    } finally {
      pool.close();
    }
  });

  it('does not reuse a socket after Connection: close, nor after an answer read until close', async () => {
    const url = await rawServer((socket, _req, n) => {
      if (n > 0) throw new Error('a second request on a closing socket');
      if (connections === 1) return void socket.end(OK('{"a":1}', 'Connection: close\r\n'));
      socket.end('HTTP/1.1 200 OK\r\n\r\n{"until":"close"}');
    });
    const pool = new Http1Pool(url, { connections: 1 });
    try {
      expect((await call(pool, url)).body.toString()).toBe('{"a":1}');
      expect((await call(pool, url)).body.toString()).toBe('{"until":"close"}');
      expect(connections).toBe(2);
    } finally {
      pool.close();
    }
  });

  it('opens a new socket when the server closed an idle one, without failing the call', async () => {
    const url = await rawServer((socket) => {
      socket.write(OK('{}'));
      setTimeout(() => socket.end(), 20);
    });
    const pool = new Http1Pool(url, { connections: 1 });
    try {
      await call(pool, url);
      await new Promise((r) => setTimeout(r, 100));
      expect((await call(pool, url)).status).toBe(200);
      expect(connections).toBe(2);
    } finally {
      pool.close();
    }
  });

  it('fails a call whose answer is cut short or is not HTTP, and carries the next call on a new socket', async () => {
    const url = await rawServer((socket) => {
      if (connections === 1) return void socket.end('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"half');
      if (connections === 2) return void socket.write('SSH-2.0-OpenSSH\r\n\r\n');
      if (connections === 3) return void socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
      socket.write(OK('{"fine":true}'));
    });
    const pool = new Http1Pool(url, { connections: 1 });
    try {
      await expect(call(pool, url)).rejects.toThrow(/closed/);
      await expect(call(pool, url)).rejects.toBeInstanceOf(HttpProtocolError);
      await expect(call(pool, url)).rejects.toThrow(/bad chunk size/);
      expect((await call(pool, url)).body.toString()).toBe('{"fine":true}');
      expect(connections).toBe(4);
    } finally {
      pool.close();
    }
  });

  it('refuses an answer longer than its limit at once, from its Content-Length', async () => {
    const url = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n'));
    const pool = new Http1Pool(url, { connections: 1 });
    try {
      await expect(call(pool, url)).rejects.toThrow(/longer than/);
    } finally {
      pool.close();
    }
  });

  it('delivers an answer followed by stray bytes but does not reuse that socket', async () => {
    const url = await rawServer((socket) => socket.write(`${OK('{}')}HTTP/1.1 200 OK\r\n`));
    const pool = new Http1Pool(url, { connections: 1 });
    try {
      expect((await call(pool, url)).status).toBe(200);
      expect((await call(pool, url)).status).toBe(200);
      expect(connections).toBe(2);
    } finally {
      pool.close();
    }
  });

  it('closes idle sockets after idleMs', async () => {
    const url = await rawServer((socket) => socket.write(OK('{}')));
    const pool = new Http1Pool(url, { connections: 2, idleMs: 150 });
    try {
      await Promise.all([call(pool, url), call(pool, url)]);
      expect(pool.size).toBe(2);
      await new Promise((r) => setTimeout(r, 450));
      expect(pool.size).toBe(0);
    } finally {
      pool.close();
    }
  });

  it('does not carry a call on an idle socket past its idle time, even before the sweep closes it', async () => {
    const url = await rawServer((socket) => socket.write(OK('{}')));
    // The clock and the sweep's timer are fake: the socket is due at 1,500 ms, the sweeps run at 1,000 and 2,000.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const pool = new Http1Pool(url, { connections: 1, idleMs: 1_500 });
    try {
      await call(pool, url);
      vi.advanceTimersByTime(1_000);
      expect(pool.size).toBe(1);
      vi.advanceTimersByTime(600);
      expect(pool.size).toBe(1);
      expect((await call(pool, url)).status).toBe(200);
      expect(connections).toBe(2);
    } finally {
      pool.close();
      vi.useRealTimers();
    }
  });

  it("closes an idle socket sooner when the server's Keep-Alive timeout says so", async () => {
    const url = await rawServer((socket) => socket.write(OK('{}', 'Keep-Alive: timeout=1\r\n')));
    const pool = new Http1Pool(url, { connections: 1, idleMs: 60_000 });
    try {
      await call(pool, url);
      expect(pool.size).toBe(1);
      // timeout=1 s less the 1 s margin: closed at the next sweep (at most 1 s later).
      await new Promise((r) => setTimeout(r, 1_100));
      expect(pool.size).toBe(0);
    } finally {
      pool.close();
    }
  });

  it('closes the socket a Keep-Alive hint made due even when an older idle socket is not', async () => {
    let answered = 0;
    const url = await rawServer((socket) => socket.write(OK('{}', ++answered === 2 ? 'Keep-Alive: timeout=1\r\n' : '')));
    const pool = new Http1Pool(url, { connections: 2, idleMs: 60_000 });
    try {
      await Promise.all([call(pool, url), call(pool, url)]);
      expect(pool.size).toBe(2);
      await new Promise((r) => setTimeout(r, 1_100));
      expect(pool.size).toBe(1);
    } finally {
      pool.close();
    }
  });

  it('takes a cancelled call out of the queue, or off its socket', async () => {
    const url = await rawServer(() => undefined);
    const pool = new Http1Pool(url, { connections: 1 });
    const outcomes: string[] = [];
    const mk = (name: string) => ({
      request: formatRequest('GET', url.host, '/', {}),
      done: (err: Error | undefined) => void outcomes.push(`${name}:${err ? 'error' : 'ok'}`),
    });
    const first = mk('first');
    const queued = mk('queued');
    pool.send(first);
    pool.send(queued);
    pool.cancel(queued);
    pool.cancel(first);
    await new Promise((r) => setTimeout(r, 50));
    // The cancelled call is settled by its caller (KeepAlivePool), not here; the socket is gone.
    expect(outcomes).toEqual([]);
    expect(pool.size).toBe(0);
    pool.close();
  });
});

describe('KeepAlivePool over TLS', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('calls an https origin, checking its certificate', async () => {
    dir = mkdtempSync(join(tmpdir(), 'http1-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'));
    const https = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"path":"${req.url}"}`));
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    const url = `https://localhost:${(https.address() as AddressInfo).port}/v2/messages`;
    const req = { url, method: 'POST', headers: {}, body: '{}', signal: new AbortController().signal, timeoutMs: 5_000 };
    const trusting = new KeepAlivePool(2, { ca: cert });
    const strict = new KeepAlivePool(2);
    try {
      for (let i = 0; i < 2; i++) expect((await trusting.request(req)).body.toString()).toBe('{"path":"/v2/messages"}');
      expect(trusting.sockets(url)).toBe(1);
      await expect(strict.request(req)).rejects.toThrow(/self[- ]signed|certificate/i);
    } finally {
      trusting.close();
      strict.close();
      https.closeAllConnections();
      await new Promise((r) => https.close(r));
    }
  });
});
