/**
 * The media store on both drivers (PGlite and real PostgreSQL) and GET /media/{token}: what one
 * node stores any node serves, with its type, length and cache headers, until it expires.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router } from '@koa/router';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../internal/crypto/index.js';
import { PayloadTooLargeError } from '../../internal/errors/index.js';
import { silentLogger } from '../../internal/log/index.js';
import { PostgresMediaStore } from '../../internal/media/index.js';
import { createStore, type Store } from '../../internal/store/index.js';
import { errorMiddleware } from '../../internal/web/middleware/errors.js';
import { registerMediaRoutes } from '../../internal/web/routes/media.js';
import type { WebDeps } from '../../internal/web/index.js';
import { createTestDatabase, requireServices } from '../support/env.js';

const svc = requireServices(['postgres']);
const DAY_MS = 24 * 3600_000;

const drivers = [
  {
    name: 'PGlite',
    skip: false,
    open: async () => createStore({ driver: 'pglite' }, { secretBox: createSecretBox('media-key-0123456789abcdef') }),
  },
  {
    name: 'PostgreSQL',
    skip: svc.skip,
    open: async () =>
      createStore({ driver: 'pg', url: await createTestDatabase('media') }, { secretBox: createSecretBox('media-key-0123456789abcdef') }),
  },
];

describe.each(drivers)('media store on $name', (driver) => {
  let store: Store;
  let server: Server;
  let base: string;
  let now = new Date('2026-01-01T00:00:00Z');
  let media: PostgresMediaStore;

  beforeAll(async () => {
    if (driver.skip) return;
    store = await driver.open();
    await store.migrate();
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    media = new PostgresMediaStore({ serverAddress: base, ttlMs: 7 * DAY_MS, maxBytes: 64 * 1024 }, { repo: store.media, now: () => now });
    const app = new Koa();
    const router = new Router();
    registerMediaRoutes(router, { media, logger: silentLogger() } as unknown as WebDeps);
    app.use(errorMiddleware(silentLogger())).use(router.routes());
    const handle = app.callback();
    server.on('request', (req, res) => void handle(req, res));
  }, 60_000);

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await store?.close();
  });

  it.skipIf(driver.skip)('stores bytes under an unguessable token and serves them with type, length and cache headers', async () => {
    now = new Date();
    const bytes = Buffer.from('GIF89a-not-really-a-gif-but-sniffable');
    const stored = await media.put({ bytes, contentType: '', filename: 'anim' });
    expect(stored.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(stored).toMatchObject({ contentType: 'image/gif', filename: 'anim.gif', sizeBytes: bytes.length });
    expect(stored.url).toBe(`${base}/media/${stored.token}.gif`);
    expect(stored.expiresAt.getTime() - now.getTime()).toBe(7 * DAY_MS);

    for (const url of [stored.url, `${base}/media/${stored.token}`]) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/gif');
      expect(res.headers.get('content-length')).toBe(String(bytes.length));
      expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+, immutable$/);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    }
    const head = await fetch(stored.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('image/gif');
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
  });

  it.skipIf(driver.skip)("serves a tenant's HTML or SVG only as a sandboxed attachment, never as a page of our origin", async () => {
    now = new Date();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/clients")</script></svg>');
    const html = Buffer.from('<html><script>fetch("/clients")</script></html>');
    for (const [bytes, type, name] of [
      [svg, 'image/svg+xml', 'x.svg'],
      [html, 'text/html; charset=utf-8', 'x.html'],
      [html, 'application/xhtml+xml', 'x.xhtml'],
      [svg, 'text/xml', 'x.xml'],
    ] as const) {
      const stored = await media.put({ bytes, contentType: type, filename: name });
      const res = await fetch(stored.url);
      expect(res.status).toBe(200);
      // Carriers and clients still see the type the part has.
      expect(res.headers.get('content-type')?.startsWith(type.split(';')[0]!), type).toBe(true);
      expect(res.headers.get('content-disposition'), type).toMatch(/^attachment; filename="x\.[a-z]+"/);
      expect(res.headers.get('content-security-policy'), type).toBe('sandbox');
      expect(res.headers.get('x-content-type-options'), type).toBe('nosniff');
    }
  });

  it.skipIf(driver.skip)('shows pictures, sound and text inline, still sandboxed and never sniffed', async () => {
    now = new Date();
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    for (const [bytes, type] of [
      [jpeg, 'image/jpeg'],
      [jpeg, 'video/3gpp'],
      [jpeg, 'audio/amr'],
      [Buffer.from('hi'), 'text/plain'],
    ] as const) {
      const stored = await media.put({ bytes, contentType: type, filename: 'part' });
      const res = await fetch(stored.url);
      expect(res.headers.get('content-type')?.startsWith(type), type).toBe(true);
      expect(res.headers.get('content-disposition'), type).toMatch(/^inline; filename="part\./);
      expect(res.headers.get('content-security-policy'), type).toBe('sandbox');
      expect(res.headers.get('x-content-type-options'), type).toBe('nosniff');
    }
    // A name is quoted safely and encoded as RFC 5987 wants it, and an endless one is cut.
    const named = await media.put({ bytes: jpeg, contentType: 'image/jpeg', filename: `it's "(1)"\r\n${'x'.repeat(100_000)}.jpg` });
    const disposition = (await fetch(named.url)).headers.get('content-disposition')!;
    expect(disposition.length).toBeLessThan(600);
    expect(disposition).toMatch(/^inline; filename="it's _\(1\)_x+\.jpg"; filename\*=UTF-8''it%27s%20%22%281%29%22x+\.jpg$/);
    // vCards and PDFs keep their type (carriers check it) but are downloaded, not shown.
    const card = await media.put({ bytes: Buffer.from('BEGIN:VCARD'), contentType: 'text/vcard', filename: 'me.vcf' });
    const res = await fetch(card.url);
    expect(res.headers.get('content-type')).toMatch(/^text\/vcard/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="me\.vcf"/);
  });

  it.skipIf(driver.skip)(
    'stores a malformed or oversized content type as octet-stream (or what the bytes say), never as a header',
    async () => {
      now = new Date();
      for (const type of ['text/html\r\nSet-Cookie: a=b', `image/${'x'.repeat(200)}`, 'text/html"<script>', 'html']) {
        const stored = await media.put({ bytes: Buffer.from('<html>'), contentType: type, filename: 'x' });
        expect(stored.contentType, type).toBe('application/octet-stream');
        const res = await fetch(stored.url);
        expect(res.headers.get('content-type')).toBe('application/octet-stream');
        expect(res.headers.get('set-cookie')).toBeNull();
        expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
      }
      const png = await media.put({ bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]), contentType: 'image/png\r\nX: y', filename: 'p' });
      expect(png.contentType).toBe('image/png');
    },
  );

  it.skipIf(driver.skip)('answers 404 for unknown tokens and refuses files over the maximum', async () => {
    const res = await fetch(`${base}/media/${'A'.repeat(32)}.jpg`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('media file not found');
    expect((await fetch(`${base}/media/not-a-token`)).status).toBe(404);
    await expect(media.put({ bytes: Buffer.alloc(64 * 1024 + 1), contentType: 'image/png' })).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it.skipIf(driver.skip)('reads a file only up to a size the caller gives, testing the size in the database', async () => {
    now = new Date();
    const bytes = Buffer.alloc(1000, 7);
    const stored = await media.put({ bytes, contentType: 'application/octet-stream', filename: 'x.bin' });
    expect((await media.get(stored.token, { maxBytes: 1000 }))?.bytes).toEqual(bytes);
    expect(await media.get(stored.token, { maxBytes: 999 })).toBeUndefined();
    expect((await media.get(stored.token))?.bytes).toEqual(bytes);
  });

  it.skipIf(driver.skip)('stops serving a file when it expires and deletes it in the cleanup', async () => {
    now = new Date();
    const stored = await media.put({ bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), contentType: 'image/jpeg', filename: 'x.jpg' });
    expect(await media.get(stored.token)).toMatchObject({ filename: 'x.jpg', sizeBytes: 7 });
    now = new Date(now.getTime() + 7 * DAY_MS + 1000);
    expect(await media.get(stored.token)).toBeUndefined();
    expect((await fetch(stored.url)).status).toBe(404);
    expect(await media.deleteExpired()).toBeGreaterThanOrEqual(1);
    expect(await media.deleteExpired()).toBe(0);
  });
});
