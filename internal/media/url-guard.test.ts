import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError, UnavailableError } from '../errors/index.js';
import { fetchMedia } from './fetch.js';
import { createMediaUrlGuard, MediaUrlRefusedError } from './url-guard.js';

/** A loopback media server: /img answers bytes, /to?url= redirects there, /loop to itself; it notes each request's headers. */
let server: Server;
let port: number;
const seen: Array<{ host: string; path: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ host: req.headers.host ?? '', path: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
      return;
    }
    if (url.pathname === '/to') {
      res.writeHead(302, { location: url.searchParams.get('url') ?? '/' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from('png bytes'));
  });
  // 0.0.0.0: reachable as 127.0.0.1 and as 127.0.0.2 (another loopback host for cross-origin hops).
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const get = (url: string, fetch: typeof globalThis.fetch, headers?: Record<string, string>) =>
  fetchMedia(url, { maxBytes: 1_000, signal: AbortSignal.timeout(5_000), fetch, headers });

describe('media URL guard', () => {
  it("tells public addresses from the gateway's own networks", async () => {
    const guard = createMediaUrlGuard();
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(guard.allows(ip), ip).toBe(true);
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '224.0.0.1',
      '255.255.255.255',
    ]) {
      expect(guard.allows(ip), ip).toBe(false);
    }
    await guard.close();
  });

  it('refuses IPv6 forms that carry a non-public IPv4 address (NAT64, 6to4, IPv4-compatible, translated)', async () => {
    const guard = createMediaUrlGuard();
    for (const ip of [
      '64:ff9b::7f00:1',
      '64:ff9b::127.0.0.1',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::10.1.2.3',
      '64:ff9b::c0a8:101',
      '64:ff9b::0.0.0.0',
      '64:ff9b:1::808:808',
      '2002:7f00:1::',
      '2002:a9fe:a9fe::1',
      '2002:a00:1::',
      '::7f00:1',
      '::127.0.0.1',
      '::a9fe:a9fe',
      '::ffff:0:7f00:1',
      '2001:0:7f00:1::',
      '0:0:0:0:0:ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '::ffff:0.0.0.0',
    ]) {
      expect(guard.allows(ip), ip).toBe(false);
    }
    // The same prefixes around a public IPv4 address reach the internet (DNS64 answers so on IPv6-only hosts).
    for (const ip of ['64:ff9b::808:808', '64:ff9b::1.1.1.1', '2002:808:808::1']) expect(guard.allows(ip), ip).toBe(true);
    await guard.close();
  });

  it('refuses an IP literal that is not public before connecting, as a final error', async () => {
    const guard = createMediaUrlGuard();
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      `http://127.0.0.1:${port}/img`,
      'http://10.0.0.1/x.png',
      `http://[::1]:${port}/img`,
      'http://[::ffff:127.0.0.1]/x',
      'http://0.0.0.0/x',
      `http://[64:ff9b::7f00:1]:${port}/img`,
      `http://[::127.0.0.1]:${port}/img`,
      `http://2130706433:${port}/img`,
      `http://0x7f.1:${port}/img`,
      'http://0/x',
    ]) {
      const err = await get(url, guard.fetch).catch((e: unknown) => e);
      expect(err, url).toBeInstanceOf(MediaUrlRefusedError);
      expect(err).toBeInstanceOf(ForbiddenError);
    }
    expect(seen.filter((s) => s.path === '/img')).toHaveLength(0);
    await guard.close();
  });

  it('refuses a host name that resolves to a private address, when connecting', async () => {
    const guard = createMediaUrlGuard();
    const err = await get(`http://localhost:${port}/img`, guard.fetch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaUrlRefusedError);
    expect((err as Error).message).toMatch(/localhost is at (127\.0\.0\.1|::1), which is not a public address/);
    await guard.close();
  });

  it('fetches from what MEDIA_FETCH_ALLOW lists, and checks every redirect hop', async () => {
    const guard = createMediaUrlGuard(['127.0.0.1']);
    const ok = await get(`http://127.0.0.1:${port}/img`, guard.fetch);
    expect(ok.bytes.toString()).toBe('png bytes');
    // Allowed host, redirecting to a loopback address that is not allowed: refused at the hop.
    const before = seen.length;
    const hop = await get(`http://127.0.0.1:${port}/to?url=${encodeURIComponent(`http://127.0.0.2:${port}/img`)}`, guard.fetch).catch(
      (e: unknown) => e,
    );
    expect(hop).toBeInstanceOf(MediaUrlRefusedError);
    expect(seen.slice(before).map((s) => s.path)).toEqual([`/to?url=${encodeURIComponent(`http://127.0.0.2:${port}/img`)}`]);
    await guard.close();
  });

  it("follows redirects itself: the same origin keeps the carrier's auth, another origin does not get it", async () => {
    const guard = createMediaUrlGuard(['127.0.0.0/8']);
    const auth = { authorization: 'Basic c2lkOnRva2Vu' };
    const before = seen.length;
    await get(`http://127.0.0.1:${port}/to?url=/img`, guard.fetch, auth);
    await get(`http://127.0.0.1:${port}/to?url=${encodeURIComponent(`http://127.0.0.2:${port}/img`)}`, guard.fetch, auth);
    const hops = seen.slice(before).map((s) => [s.host.split(':')[0], s.path.split('?')[0], s.headers.authorization ?? null]);
    expect(hops).toEqual([
      ['127.0.0.1', '/to', auth.authorization],
      ['127.0.0.1', '/img', auth.authorization],
      ['127.0.0.1', '/to', auth.authorization],
      ['127.0.0.2', '/img', null],
    ]);
    await guard.close();
  });

  it('refuses schemes other than http(s) and endless redirects; an unreachable host stays a retry', async () => {
    const guard = createMediaUrlGuard(['127.0.0.1']);
    await expect(get('file:///etc/passwd', guard.fetch)).rejects.toBeInstanceOf(MediaUrlRefusedError);
    await expect(get(`http://127.0.0.1:${port}/loop`, guard.fetch)).rejects.toThrow(/redirects more than 5 times/);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(get(`http://127.0.0.1:${deadPort}/img`, guard.fetch)).rejects.toBeInstanceOf(UnavailableError);
    await guard.close();
  });
});
