/** POST /messages/send and POST /messages (upstream §5.9, §11.1): formats, checks, durability. */
import { describe, expect, it } from 'vitest';
import { subjects } from '../../../proto/subjects.js';
import { basic, serve, NODE_ID, type ApiResponse, type MessagesApi } from './harness.js';

export function sendTests(api: () => MessagesApi): void {
  const to = '+14155550123';

  describe('formats', () => {
    it('generic: answers 202 queued with the id of the Message it stored', async () => {
      const c = await api().client({ format: 'generic' });
      const before = Date.now();
      const res = await api().send({ client_id: c.id, from: c.numbers[0], to: '1 415 555 0123', text: 'Hello generic' }, c.basic);
      expect(res.status, res.text).toBe(202);
      expect(res.body).toEqual({ status: 'queued', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      const messages = await api().takeMessages('web');
      expect(messages).toEqual([
        {
          v: 1,
          id: res.body.id,
          type: 'sms',
          from: c.numbers[0],
          to,
          text: 'Hello generic',
          media: [],
          origin: { kind: 'web', clientId: c.id, sourceIp: '127.0.0.1', node: NODE_ID },
          receivedAt: expect.any(Number),
          notice: false,
        },
      ]);
      expect(messages[0]!.receivedAt).toBeGreaterThanOrEqual(before);
    });

    it('bicom: answers 200 success, on both paths', async () => {
      const c = await api().client({ format: 'bicom' });
      for (const path of ['/messages/send', '/messages']) {
        const res = await api().send({ from: c.numbers[0], to, text: `Hello ${path}` }, c.bearer, { path });
        expect(res.status, res.text).toBe(200);
        expect(res.body).toEqual({ status: 'success', message: '' });
      }
      const messages = await api().takeMessages('web');
      expect(messages.map((m) => m.text).sort()).toEqual(['Hello /messages', 'Hello /messages/send']);
      expect(messages.every((m) => m.from === c.numbers[0] && m.to === to && m.type === 'sms')).toBe(true);
    });

    it('telnyx: reads data.payload, first recipient, media → mms with its text', async () => {
      const c = await api().client({ format: 'telnyx' });
      const body = {
        data: {
          event_type: 'message.sent',
          payload: {
            from: { phone_number: c.numbers[0] },
            to: [{ phone_number: to }, { phone_number: '+14155550999' }],
            text: 'Look',
            media: [{ url: 'https://cdn.example.test/cat.gif', content_type: 'image/gif' }],
          },
        },
      };
      const res = await api().send(body, c.basic);
      expect(res.status, res.text).toBe(202);
      expect(res.body.status).toBe('queued');
      expect(await api().takeMessages('web')).toMatchObject([
        {
          id: res.body.id,
          type: 'mms',
          from: c.numbers[0],
          to,
          text: 'Look',
          media: [{ url: 'https://cdn.example.test/cat.gif', contentType: 'image/gif', filename: 'cat.gif' }],
        },
      ]);
    });

    it('media URLs make an MMS that keeps its text; types come from the item or the extension', async () => {
      const c = await api().client({ format: 'generic' });
      const media = [
        { url: 'https://cdn.example.test/a/photo.jpeg' },
        { url: 'https://cdn.example.test/b', content_type: 'video/mp4', filename: 'clip.mp4' },
        { url: 'https://cdn.example.test/c/blob' },
        { filename: 'skipped-empty-item' },
      ];
      const res = await api().send({ from: c.numbers[0], to, text: 'pics', media }, c.basic);
      expect(res.status, res.text).toBe(202);
      const [message] = await api().takeMessages('web');
      expect(message).toMatchObject({ type: 'mms', text: 'pics' });
      expect(message!.media).toEqual([
        { url: 'https://cdn.example.test/a/photo.jpeg', contentType: 'image/jpeg', filename: 'photo.jpeg' },
        { url: 'https://cdn.example.test/b', contentType: 'video/mp4', filename: 'clip.mp4' },
        { url: 'https://cdn.example.test/c/blob', contentType: 'application/octet-stream', filename: 'blob' },
      ]);
      const bicom = await api().client({ format: 'bicom' });
      const mms = await api().send({ from: bicom.numbers[0], to, text: '', media_urls: ['https://cdn.example.test/x.png'] }, bicom.basic);
      expect(mms.status, mms.text).toBe(200);
      expect(await api().takeMessages('web')).toMatchObject([{ type: 'mms', media: [{ contentType: 'image/png' }] }]);
    });

    it('refuses inline base64 media with 400 when the app has no media store, storing nothing', async () => {
      const c = await api().client();
      const res = await api().send({ from: c.numbers[0], to, media: [{ content: 'aGVsbG8=', content_type: 'text/plain' }] }, c.basic);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'inline media (base64 content) is not accepted by this node; give a url' });
      await api().expectNothingStored();
    });
  });

  describe('numbers', () => {
    it("refuses a from number the client does not own with 403, in the client's format", async () => {
      const c = await api().client();
      const bicom = await api().client({ format: 'bicom' });
      const other = await api().client();
      const res = await api().send({ from: other.numbers[0], to, text: 'x' }, c.basic);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: "You do not own the 'from' number" });
      const viaBicom = await api().send({ from: other.numbers[0], to, text: 'x' }, bicom.basic);
      expect(viaBicom.status).toBe(403);
      expect(viaBicom.body).toEqual({ status: 'error', message: "You do not own the 'from' number" });
      await api().expectNothingStored();
    });

    it('matches the from number exactly in canonical form, however it is written', async () => {
      const c = await api().client();
      const digits = c.numbers[0]!.slice(1);
      for (const from of [digits, `+${digits.slice(0, 1)} (${digits.slice(1, 4)}) ${digits.slice(4, 7)}-${digits.slice(7)}`]) {
        const res = await api().send({ from, to, text: from }, c.basic);
        expect(res.status, `${from}: ${res.text}`).toBe(202);
      }
      const prefix = await api().send({ from: `+${digits.slice(0, -1)}`, to, text: 'prefix only' }, c.basic);
      expect(prefix.status).toBe(403);
      expect((await api().takeMessages('web')).map((m) => m.from)).toEqual([c.numbers[0], c.numbers[0]]);
    });

    it('uses the only number when from is omitted, and asks for it when there are several', async () => {
      const one = await api().client({ numbers: 1 });
      const two = await api().client({ numbers: 2, format: 'bicom' });
      expect((await api().send({ to, text: 'implicit' }, one.basic)).status).toBe(202);
      expect(await api().takeMessages('web')).toMatchObject([{ from: one.numbers[0] }]);
      const res = await api().send({ to, text: 'which?' }, two.basic);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ status: 'error', message: "'from' field is required when multiple numbers exist" });
      await api().expectNothingStored();
    });

    it("requires a valid to, and a client_id that is the caller's", async () => {
      const c = await api().client();
      const bicom = await api().client({ format: 'bicom' });
      const cases: Array<[unknown, string, number, unknown]> = [
        [{ from: c.numbers[0], text: 'x' }, c.basic, 400, { error: "'to' field is required" }],
        [{ from: bicom.numbers[0], text: 'x' }, bicom.basic, 400, { status: 'error', message: "'to' field is required" }],
        [
          { from: c.numbers[0], to: 'call me', text: 'x' },
          c.basic,
          400,
          { error: 'Invalid \'to\' number "call me": use E.164, e.g. +14155559876' },
        ],
        [
          { client_id: c.id + 1000, from: c.numbers[0], to, text: 'x' },
          c.basic,
          403,
          { error: 'Authenticated client does not match specified client_id' },
        ],
      ];
      for (const [body, auth, status, answer] of cases) {
        const res = await api().send(body, auth);
        expect(res.status, JSON.stringify(body)).toBe(status);
        expect(res.body).toEqual(answer);
      }
      await api().expectNothingStored();
    });
  });

  describe('text and body', () => {
    it('refuses an empty message, an over-long text and malformed JSON with 400', async () => {
      const c = await api().client();
      const bicom = await api().client({ format: 'bicom' });
      const empty = await api().send({ from: c.numbers[0], to, text: '  ' }, c.basic);
      expect(empty.body).toEqual({ error: "'text' field is required when no media is given" });
      const long = await api().send({ from: c.numbers[0], to, text: 'é'.repeat(1601) }, c.basic);
      expect(long.status).toBe(400);
      expect(long.body).toEqual({ error: "'text' is too long: 1601 characters, at most 1600" });
      const broken = await api().send(undefined, bicom.basic, { raw: '{"to":' });
      expect(broken.status).toBe(400);
      expect(broken.body).toMatchObject({ status: 'error', message: expect.stringContaining('Invalid JSON body') });
      expect((await api().send({ from: c.numbers[0], to, text: '😀'.repeat(1600) }, c.basic)).status).toBe(202);
      expect(await api().takeMessages('web')).toHaveLength(1);
    });

    it('records the caller behind a trusted proxy by X-Forwarded-For, and counts the message', async () => {
      const c = await api().client();
      const counted = async () => (await api().metrics.ingress.get()).values.find((v) => v.labels.protocol === 'web')?.value ?? 0;
      const before = await counted();
      const res = await api().send({ from: c.numbers[0], to, text: 'proxied' }, c.basic, {
        headers: { 'X-Forwarded-For': '198.51.100.23, 127.0.0.1' },
      });
      expect(res.status).toBe(202);
      expect((await api().takeMessages('web'))[0]?.origin.sourceIp).toBe('198.51.100.23');
      expect(await counted()).toBe(before + 1);
    });
  });

  describe('durability', () => {
    it('answers 503 and acknowledges nothing when the bus is down', async () => {
      const c = await api().client();
      const bicom = await api().client({ format: 'bicom' });
      const down = await api().env.otherBus();
      await down.stop();
      const app = await serve(api().deps({ bus: down }));
      try {
        const res = await api().send({ from: c.numbers[0], to, text: 'lost?' }, c.basic, { base: app.url });
        expect(res.status).toBe(503);
        expect(res.body).toEqual({
          error: 'The message could not be stored; nothing was sent. Try again later.',
          id: expect.any(String),
          outcome: 'not_stored',
        });
        expect(res.headers.get('retry-after')).toBe('1');
        const viaBicom = await api().send({ from: bicom.numbers[0], to, text: 'lost?' }, bicom.basic, { base: app.url });
        expect(viaBicom.status).toBe(503);
        expect(viaBicom.body).toEqual({
          status: 'error',
          message: 'The message could not be stored; nothing was sent. Try again later.',
          id: expect.any(String),
          outcome: 'not_stored',
        });
      } finally {
        await app.stop();
      }
      await api().expectNothingStored();
    });

    it('answers 503 when no stream stores the subject', async () => {
      const c = await api().client();
      const app = await serve(api().deps({ subjects: subjects(`nostream${Date.now()}`) }));
      try {
        const res = await api().send({ from: c.numbers[0], to, text: 'nowhere' }, c.basic, { base: app.url });
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ outcome: 'not_stored' });
      } finally {
        await app.stop();
      }
      await api().expectNothingStored();
    });
  });

  describe('Idempotency-Key', () => {
    it('stores a send once however often it comes with the same key, on either path, and answers the same id', async () => {
      const c = await api().client();
      const body = { from: c.numbers[0], to, text: 'once' };
      const headers = { 'Idempotency-Key': 'order-2026-0001' };
      const first = await api().send(body, c.basic, { headers });
      const again = await api().send(body, c.basic, { headers, path: '/messages/send/' });
      expect(first.status, first.text).toBe(202);
      expect(again).toMatchObject({ status: 202, body: { id: first.body.id } });
      // A resend naming the id it was answered with (a 503 "unknown" says to) is the same send.
      const byId = await api().send(body, c.basic, { headers: { 'Idempotency-Key': first.body.id } });
      expect(byId.body.id).toBe(first.body.id);
      // Another client's send with the same key is its own message.
      const other = await api().client();
      const theirs = await api().send({ from: other.numbers[0], to, text: 'theirs' }, other.basic, { headers });
      expect(theirs.body.id).not.toBe(first.body.id);
      expect((await api().takeMessages('web')).map((m) => m.text).sort()).toEqual(['once', 'theirs']);
    });

    it('refuses a malformed key with 400', async () => {
      const c = await api().client();
      const res = await api().send({ from: c.numbers[0], to, text: 'bad key' }, c.basic, {
        headers: { 'Idempotency-Key': 'k'.repeat(256) },
      });
      expect(res.status).toBe(400);
      await api().expectNothingStored();
    });
  });

  describe('the send fast path (node:http) and Koa', () => {
    /** What a client can see of an answer, the id aside. */
    const seen = (res: ApiResponse) => ({
      status: res.status,
      body: typeof res.body === 'object' ? { ...res.body, id: res.body.id === undefined ? undefined : 'id' } : res.body,
      type: res.headers.get('content-type'),
      length: res.headers.get('content-length') === null ? null : 'set',
      challenge: res.headers.get('www-authenticate'),
      retryAfter: res.headers.get('retry-after'),
    });

    it("answer alike on the fast path and on Koa's paths (a trailing slash), success and refusals", async () => {
      const c = await api().client();
      const bicom = await api().client({ format: 'bicom' });
      const cases: Array<[unknown, string | null]> = [
        [{ from: c.numbers[0], to, text: 'both ways' }, c.basic],
        [{ from: '+14155550999', to, text: 'not mine' }, bicom.basic],
        [{ from: c.numbers[0], to: 'nobody', text: 'bad to' }, c.basic],
        [{ from: c.numbers[0], to, text: 'who?' }, null],
        [{ from: c.numbers[0], to, text: 'wrong password' }, basic(c.username, 'nope')],
      ];
      for (const [body, auth] of cases) {
        const fast = await api().send(body, auth, { path: '/messages/send?via=fast-path' });
        const koa = await api().send(body, auth, { path: '/messages/send/' });
        expect(seen(fast), JSON.stringify(body)).toEqual(seen(koa));
      }
      const broken = await api().send(undefined, bicom.basic, { raw: '{"to":', path: '/messages' });
      const brokenKoa = await api().send(undefined, bicom.basic, { raw: '{"to":', path: '/messages/' });
      expect(seen(broken)).toEqual(seen(brokenKoa));
      expect(broken.body).toMatchObject({ status: 'error', message: expect.stringContaining('Invalid JSON body') });
      expect((await api().takeMessages('web')).map((m) => m.text)).toEqual(['both ways', 'both ways']);
    });

    it("count the fast path's requests in the HTTP metrics under their route", async () => {
      const c = await api().client();
      const count = async (route: string, status: string) =>
        (await api().metrics.httpRequests.get()).values.find(
          (v) => v.labels.route === route && v.labels.method === 'POST' && v.labels.status === status,
        )?.value ?? 0;
      const before = [await count('/messages/send', '202'), await count('/messages', '202'), await count('/messages/send', '401')];
      await api().send({ from: c.numbers[0], to, text: 'counted' }, c.basic);
      await api().send({ from: c.numbers[0], to, text: 'counted' }, c.basic, { path: '/messages' });
      await api().send({ from: c.numbers[0], to, text: 'refused' }, null);
      expect([await count('/messages/send', '202'), await count('/messages', '202'), await count('/messages/send', '401')]).toEqual([
        before[0]! + 1,
        before[1]! + 1,
        before[2]! + 1,
      ]);
      await api().takeMessages('web');
    });

    it('leave other methods on the send paths to Koa: 405 with Allow', async () => {
      const c = await api().client();
      const res = await api().request('GET', '/messages/send', undefined, { auth: c.basic });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toContain('POST');
    });
  });
}
