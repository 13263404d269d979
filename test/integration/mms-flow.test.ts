/**
 * Web MMS end to end, embedded and on PostgreSQL + nats-server: REST sends with base64
 * media (and data: URLs and plain URLs) in the three formats reach the fake carrier with their
 * text and with media URLs that serve files under the carrier's limit; a part that cannot be
 * made to fit fails the message with a reason for the sender; a carrier MMS reaches a web client
 * with our /media links, fetched with the carrier's auth.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { FakeCarrier, registerFakeCarriers } from '../support/fake-carrier.js';
import { haveFfmpeg, largeJpeg, largePng } from '../support/media-fixtures.js';
import { basicAuth as basic, nodeModes, startTestNode, type TestNode } from '../support/test-node.js';
import { WebhookSink } from '../support/webhook-sink.js';
import { waitFor } from '../support/wait.js';
import { DEFAULT_HOLD_MS } from '../../internal/records/index.js';

/** This file's waits are longer than waitFor's default. */
const until = (check: () => boolean | Promise<boolean>) => waitFor(check, 20_000);

const API_KEY = 'mms-admin-key';
/** The test carrier's MMS limit (MEDIA_CARRIER_LIMITS), small so every big fixture must shrink. */
const LIMIT = 400_000;
const MAX_MEDIA = 4_000_000;
const ffmpegReady = await haveFfmpeg();

const modes = nodeModes('mms', !ffmpegReady);

describe.each(modes)('web MMS, $name', (mode) => {
  let gw: TestNode;
  let fake: FakeCarrier;
  let sink: WebhookSink;
  let base: string;
  const api = (...args: Parameters<TestNode['api']>) => gw.api(...args);

  async function webClient(name: string, format: string, number: string, carrier: string) {
    const c = await api('POST', '/clients', { username: name, password: `${name}-pass`, type: 'web' });
    expect(c.status).toBe(201);
    await api('PUT', `/clients/${c.body.id}/settings`, { api_format: format, default_webhook: `${sink.url}/${name}` });
    expect((await api('POST', `/clients/${c.body.id}/numbers`, { number, carrier })).status).toBe(201);
  }

  const sentWith = (text: string) => fake.sent('telnyx').find((r) => (r.body as { text?: string }).text === text);

  /** Fetches every media URL the carrier was given; they must be ours and fit the limit together. */
  async function servedMedia(urls: string[]) {
    const files = [];
    for (const url of urls) {
      expect(url.startsWith(`${base}/media/`)).toBe(true);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      files.push({ type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) });
    }
    expect(files.reduce((sum, f) => sum + f.bytes.length, 0)).toBeLessThanOrEqual(LIMIT);
    return files;
  }

  beforeAll(async () => {
    if (mode.skip) return;
    fake = await FakeCarrier.start();
    sink = await WebhookSink.start();
    gw = await startTestNode({
      serverId: 'mms1',
      apiKey: API_KEY,
      env: {
        WEBHOOK_RETRY_DELAY_SECS: '0',
        CARRIER_RETRY_DELAY_SECS: '0',
        MEDIA_CARRIER_LIMITS: `telnyx-main=${LIMIT}`,
        MEDIA_MAX_BYTES: String(MAX_MEDIA),
        TRANSCODE_TEMP_PATH: 'transcode', // under the data dir
        ...(await mode.env()),
      },
    });
    base = gw.base;
    await registerFakeCarriers(api, fake);
    await webClient('gen', 'generic', '+15550002000', 'telnyx-main');
    await webClient('bic', 'bicom', '+15550003000', 'telnyx-main');
    await webClient('tel', 'telnyx', '+15550004000', 'telnyx-main');
    await webClient('rcv', 'generic', '+15550005000', 'twilio-main');
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([fake?.close(), sink?.close()]);
  });

  it.skipIf(mode.skip)('sends base64 JPEG and PNG with text; the carrier gets our URLs serving files under its limit', async () => {
    const [jpeg, png] = await Promise.all([largeJpeg(2400, 1600), largePng(500)]);
    const res = await api(
      'POST',
      '/messages/send',
      {
        from: '+15550002000',
        to: '+15559990001',
        text: 'photos attached',
        media: [
          { filename: 'photo.jpg', content_type: 'image/jpeg', content: jpeg.toString('base64') },
          { filename: 'shot.png', content_type: 'image/png', content: png.toString('base64') },
        ],
      },
      basic('gen', 'gen-pass'),
    );
    expect(res.status).toBe(202);
    await until(() => sentWith('photos attached') !== undefined);
    const urls = (sentWith('photos attached')!.body as { media_urls: string[] }).media_urls;
    expect(urls).toHaveLength(2);
    const files = await servedMedia(urls);
    expect(files.map((f) => f.type)).toEqual(['image/jpeg', 'image/jpeg']);
    expect((await sharp(files[1]!.bytes).metadata()).format).toBe('jpeg');
    await until(async () => (await history('gen', res.body.id))?.transcoding_performed === true);
    const record = await history('gen', res.body.id);
    expect(record.original_size_bytes).toBe(jpeg.length + png.length);
    expect(record.transcoded_size_bytes).toBeLessThanOrEqual(LIMIT);
    expect(record.media_count).toBe(2);
  });

  async function history(client: string, id: string) {
    const r = await api('GET', '/messages/history?per_page=100', undefined, basic(client, `${client}-pass`));
    return (r.body.messages as Array<Record<string, any>>).find((m) => m.message_id === id)!;
  }

  it.skipIf(mode.skip)('takes a data: URL in the bicom format and a plain URL in the telnyx format', async () => {
    const small = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#0a0' } })
      .png()
      .toBuffer();
    const bic = await api(
      'POST',
      '/messages',
      { from: '+15550003000', to: '+15559990002', text: 'bicom mms', media_urls: [`data:image/png;base64,${small.toString('base64')}`] },
      basic('bic', 'bic-pass'),
    );
    expect(bic.status).toBe(200);
    const hosted = fake.addMedia('big.jpg', await largeJpeg(2000, 1500), 'image/jpeg');
    const tel = await api(
      'POST',
      '/messages',
      {
        data: {
          payload: {
            from: { phone_number: '+15550004000' },
            to: [{ phone_number: '+15559990003' }],
            text: 'telnyx mms',
            media: [{ url: hosted, content_type: 'image/jpeg' }],
          },
        },
      },
      basic('tel', 'tel-pass'),
    );
    expect(tel.status).toBe(202);
    await until(() => sentWith('bicom mms') !== undefined && sentWith('telnyx mms') !== undefined);
    const bicFiles = await servedMedia((sentWith('bicom mms')!.body as { media_urls: string[] }).media_urls);
    expect(bicFiles[0]!.bytes).toEqual(small);
    const telFiles = await servedMedia((sentWith('telnyx mms')!.body as { media_urls: string[] }).media_urls);
    expect(telFiles[0]!.type).toBe('image/jpeg');
  });

  it.skipIf(mode.skip)('fails a message whose part cannot be made to fit and tells the sender why', async () => {
    const card = Buffer.alloc(LIMIT + 10_000, 'A');
    const res = await api(
      'POST',
      '/messages/send',
      {
        from: '+15550002000',
        to: '+15559990004',
        text: 'big card',
        media: [{ filename: 'card.vcf', content_type: 'text/vcard', content: card.toString('base64') }],
      },
      basic('gen', 'gen-pass'),
    );
    expect(res.status).toBe(202);
    const hook = await sink.waitFor((w) => w.path === '/gen' && w.body?.type === 'status' && w.body.id === res.body.id, 20_000);
    expect(hook.body).toMatchObject({ status: 'failed', error_code: 'PAYLOAD_TOO_LARGE' });
    expect(hook.body.error).toMatch(/card\.vcf .*cannot be made smaller/);
    expect(sentWith('big card')).toBeUndefined();
  });

  it.skipIf(mode.skip)("refuses a media URL on the gateway's own network and tells the sender why (no SSRF)", async () => {
    // The node allows loopback (MEDIA_FETCH_ALLOW in test-node), not the cloud metadata address.
    const res = await api(
      'POST',
      '/messages',
      {
        data: {
          payload: {
            from: { phone_number: '+15550004000' },
            to: [{ phone_number: '+15559990009' }],
            text: 'metadata please',
            media: [{ url: 'http://169.254.169.254/latest/meta-data/iam/', content_type: 'image/jpeg' }],
          },
        },
      },
      basic('tel', 'tel-pass'),
    );
    expect(res.status).toBe(202);
    const failed = async () => {
      const r = await api('GET', '/messages/history?per_page=100', undefined, basic('tel', 'tel-pass'));
      return (r.body.messages as Array<Record<string, any>>).find((m) => m.to_number === '+15559990009' && m.status === 'failed');
    };
    await until(async () => (await failed()) !== undefined);
    expect((await failed())!.error).toMatch(/169\.254\.169\.254 .*not a public address/);
    expect(sentWith('metadata please')).toBeUndefined();
  });

  it.skipIf(mode.skip)('answers 413 for a part over MEDIA_MAX_BYTES and 400 for bad base64, storing nothing', async () => {
    const huge = Buffer.alloc(MAX_MEDIA + 1, 1);
    const tooBig = await api(
      'POST',
      '/messages/send',
      {
        from: '+15550002000',
        to: '+15559990005',
        media: [{ filename: 'x.bin', content_type: 'image/jpeg', content: huge.toString('base64') }],
      },
      basic('gen', 'gen-pass'),
    );
    expect(tooBig.status).toBe(413);
    const bad = await api(
      'POST',
      '/messages/send',
      { from: '+15550002000', to: '+15559990005', media: [{ filename: 'x.png', content: 'not*base64' }] },
      basic('gen', 'gen-pass'),
    );
    expect(bad).toMatchObject({ status: 400, body: { error: 'Invalid base64 content in media' } });
  });

  it.skipIf(mode.skip)('fetches a Twilio MMS with the account auth and gives the web client our /media link', async () => {
    const jpeg = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#c33' } })
      .jpeg()
      .toBuffer();
    const mediaUrl = fake.addMedia('MMabc', jpeg, 'image/jpeg');
    const carriers = (await api('GET', '/carriers')).body as Array<{ name: string; webhook_url: string }>;
    const url = carriers.find((c) => c.name === 'twilio-main')!.webhook_url;
    const twilio = fake.credentials.twilio;
    const webhook = {
      MessageSid: 'SMmms1',
      AccountSid: twilio.accountSid,
      From: '+15557770000',
      To: '+15550005000',
      Body: 'inbound mms',
      NumMedia: '1',
      MediaUrl0: mediaUrl,
      MediaContentType0: 'image/jpeg',
    };
    // Twilio sends it twice (as when our first 200 was late): it enters, and is recorded, once.
    expect((await fake.postTwilioWebhook(url, webhook)).status).toBe(200);
    expect((await fake.postTwilioWebhook(url, webhook)).status).toBe(200);
    const hook = await sink.waitFor((w) => w.path === '/rcv' && w.body?.text === 'inbound mms', 20_000);
    const legs = async () =>
      (await api('GET', '/messages/history?per_page=100', undefined, basic('rcv', 'rcv-pass'))).body.messages.filter(
        (m: { from_number: string }) => m.from_number === '+15557770000',
      );
    await new Promise((r) => setTimeout(r, DEFAULT_HOLD_MS + 200));
    expect(await legs()).toHaveLength(1);
    expect(sink.received.filter((w) => w.path === '/rcv' && w.body?.text === 'inbound mms')).toHaveLength(1);
    const part = hook.body.media[0];
    expect(part.url.startsWith(`${base}/media/`)).toBe(true);
    expect(Buffer.from(await (await fetch(part.url)).arrayBuffer())).toEqual(jpeg);
    const get = fake.requests.find((r) => r.api === 'media' && r.path === '/media/MMabc')!;
    expect(get.headers.authorization).toBe(basic(twilio.accountSid, twilio.authToken));
  });

  it.skipIf(mode.skip)("fetches media a Twilio webhook names on another host without the account's credentials", async () => {
    const jpeg = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#3c3' } })
      .jpeg()
      .toBuffer();
    const seen: Array<string | undefined> = [];
    const other = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const carriers = (await api('GET', '/carriers')).body as Array<{ name: string; webhook_url: string }>;
      const url = carriers.find((c) => c.name === 'twilio-main')!.webhook_url;
      const webhook = {
        MessageSid: 'SMmms2',
        AccountSid: fake.credentials.twilio.accountSid,
        From: '+15557770001',
        To: '+15550005000',
        Body: 'elsewhere mms',
        NumMedia: '1',
        MediaContentType0: 'image/jpeg',
        MediaUrl0: `http://127.0.0.1:${(other.address() as AddressInfo).port}/Media/ME1`,
      };
      expect((await fake.postTwilioWebhook(url, webhook)).status).toBe(200);
      await sink.waitFor((w) => w.path === '/rcv' && w.body?.text === 'elsewhere mms', 20_000);
      expect(seen).toEqual([undefined]);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });
});
