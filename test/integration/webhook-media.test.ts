/**
 * Generic webhooks carry media as gomsggw's receivers read them, embedded and on PostgreSQL +
 * nats-server: a carrier MMS reaches a generic web client's real HTTP receiver with each part's
 * `base64` (the bytes the gateway stored) beside its /media URL, until the message's parts pass
 * WEBHOOK_MEDIA_BASE64_MAX_BYTES; a part past it goes as its URL only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { FakeCarrier, registerFakeCarriers } from '../support/fake-carrier.js';
import { largeJpeg } from '../support/media-fixtures.js';
import { nodeModes, startTestNode, type TestNode } from '../support/test-node.js';
import { WebhookSink } from '../support/webhook-sink.js';

const API_KEY = 'webhook-media-admin-key';
/** Small, so one test photo is past it and a thumbnail is not. */
const CAP = 20_000;

describe.each(nodeModes('whmedia'))('generic webhook media, $name', (mode) => {
  let gw: TestNode;
  let fake: FakeCarrier;
  let sink: WebhookSink;
  let inboundUrl: string;

  beforeAll(async () => {
    if (mode.skip) return;
    fake = await FakeCarrier.start();
    sink = await WebhookSink.start();
    gw = await startTestNode({
      serverId: 'whmedia1',
      apiKey: API_KEY,
      env: {
        WEBHOOK_RETRY_DELAY_SECS: '0',
        WEBHOOK_MEDIA_BASE64_MAX_BYTES: String(CAP),
        ...(await mode.env()),
      },
    });
    await registerFakeCarriers(gw.api, fake, ['twilio']);
    const carriers = (await gw.api('GET', '/carriers')).body as Array<{ name: string; webhook_url: string }>;
    inboundUrl = carriers.find((c) => c.name === 'twilio-main')!.webhook_url;
    const c = await gw.api('POST', '/clients', { username: 'gen', password: 'gen-pass', type: 'web' });
    expect(c.status).toBe(201);
    await gw.api('PUT', `/clients/${c.body.id}/settings`, { api_format: 'generic', default_webhook: `${sink.url}/gen` });
    expect((await gw.api('POST', `/clients/${c.body.id}/numbers`, { number: '+15550006000', carrier: 'twilio-main' })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([fake?.close(), sink?.close()]);
  });

  /** A Twilio MMS to the generic client with these parts; resolves with the webhook it got. */
  async function inboundMms(sid: string, text: string, parts: Array<{ name: string; bytes: Buffer }>) {
    const form: Record<string, string> = {
      MessageSid: sid,
      AccountSid: fake.credentials.twilio.accountSid,
      From: '+15557771000',
      To: '+15550006000',
      Body: text,
      NumMedia: String(parts.length),
    };
    parts.forEach((p, i) => {
      form[`MediaUrl${i}`] = fake.addMedia(p.name, p.bytes, 'image/jpeg');
      form[`MediaContentType${i}`] = 'image/jpeg';
    });
    expect((await fake.postTwilioWebhook(inboundUrl, form)).status).toBe(200);
    const hook = await sink.waitFor((w) => w.path === '/gen' && w.body?.text === text, 20_000);
    return hook.body.media as Array<{ filename: string; content_type: string; base64?: string; url: string }>;
  }

  /** What GET /media/{token} serves: the bytes the gateway stored. */
  const served = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());

  it.skipIf(mode.skip)('gives a carrier MMS part its base64, which decodes to the stored bytes, beside its URL', async () => {
    const jpeg = await sharp({ create: { width: 60, height: 40, channels: 3, background: '#c33' } })
      .jpeg()
      .toBuffer();
    const [item] = await inboundMms('SMwhm1', 'one photo', [{ name: 'MMwhm1', bytes: jpeg }]);
    expect(item).toMatchObject({ content_type: 'image/jpeg', filename: expect.stringMatching(/\.jpg$/) });
    expect(item!.url.startsWith(`${gw.base}/media/`)).toBe(true);
    expect(Buffer.from(item!.base64!, 'base64')).toEqual(await served(item!.url));
    expect(Buffer.from(item!.base64!, 'base64')).toEqual(jpeg);
  });

  it.skipIf(mode.skip)('sends a part past the cap as its URL only and still inlines a later part that fits', async () => {
    const small = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#3c3' } })
      .jpeg()
      .toBuffer();
    const big = await largeJpeg(400, 300);
    expect(big.length).toBeGreaterThan(CAP);
    const media = await inboundMms('SMwhm2', 'big and small', [
      { name: 'MMbig', bytes: big },
      { name: 'MMsmall', bytes: small },
    ]);
    expect(media).toHaveLength(2);
    expect(media[0]).not.toHaveProperty('base64');
    expect(await served(media[0]!.url)).toEqual(big);
    expect(Buffer.from(media[1]!.base64!, 'base64')).toEqual(small);
    expect(await served(media[1]!.url)).toEqual(small);
  });
});
