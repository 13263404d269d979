/**
 * Each carrier driver against the fake carrier server over real HTTP: sends, error
 * classification, opt-outs, and signed webhooks received by a local server the way the web
 * room receives them (public URL = SERVER_ADDRESS + path).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CarrierError } from '../../internal/errors/index.js';
import { driverFor, statusCallbackUrl, type InboundResult, type OutboundMessage } from '../../internal/carriers/index.js';
import type { Carrier } from '../../internal/store/index.js';
import { FakeCarrier, telnyxEvent } from '../support/fake-carrier.js';

const TYPES = ['twilio', 'telnyx', 'onevoiceplus'] as const;
const API = { twilio: 'twilio', telnyx: 'telnyx', onevoiceplus: 'ovp' } as const;

let fake: FakeCarrier;
beforeAll(async () => {
  fake = await FakeCarrier.start({ seed: 7 });
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
});

const sms = (text = 'hello over http'): OutboundMessage => ({
  id: '65a1f0c2e4b0a1b2c3d4e5f6',
  type: 'sms',
  from: '+15550001111',
  to: '+15550002222',
  text,
  mediaUrls: [],
});
const ctx = (signal = new AbortController().signal) => ({
  signal,
  statusCallbackUrl: statusCallbackUrl('https://gw.example.test', 'cafe', '65a1f0c2e4b0a1b2c3d4e5f6'),
});

async function sendError(type: (typeof TYPES)[number], carrier: Carrier, signal?: AbortSignal): Promise<CarrierError> {
  const err = await driverFor(type)
    .send(sms(), carrier, ctx(signal))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CarrierError);
  return err as CarrierError;
}

describe.each(TYPES)('%s driver against the fake carrier', (type) => {
  const driver = driverFor(type);

  it('sends an SMS with the right body and credentials', async () => {
    const out = await driver.send(sms(), fake.carrierRow(type), ctx());
    const [req] = fake.sent(API[type]);
    expect(req).toBeDefined();
    expect(out.carrierMsgId).toBe(req.carrierMsgId);
    if (type === 'twilio') {
      expect(out.carrierMsgId).toMatch(/^SM[0-9a-f]{32}$/);
      expect(req.body).toMatchObject({
        To: '+15550002222',
        From: '+15550001111',
        Body: 'hello over http',
        StatusCallback: 'https://gw.example.test/inbound/cafe/status/65a1f0c2e4b0a1b2c3d4e5f6',
      });
    } else if (type === 'telnyx') {
      expect(out.carrierMsgId).toMatch(/^[0-9a-f-]{36}$/);
      expect(req.headers.authorization).toBe(`Bearer ${fake.credentials.telnyx.apiKey}`);
      expect(req.body).toEqual({
        from: '+15550001111',
        to: '+15550002222',
        text: 'hello over http',
        messaging_profile_id: '40017a1b-profile',
      });
    } else {
      expect(out.carrierMsgId).toBe('');
      expect(req.path).toBe('/sms/outbound');
      expect(req.body).toEqual({ source: '+15550001111', destination: '+15550002222', messageText: 'hello over http' });
    }
  });

  it('sends an MMS that keeps its text', async () => {
    const image = fake.addMedia('pic.jpg', Buffer.from('jpeg-bytes'), 'image/jpeg');
    await driver.send({ ...sms('caption'), type: 'mms', mediaUrls: [image] }, fake.carrierRow(type), ctx());
    const [req] = fake.sent(API[type]);
    if (type === 'twilio') expect(req.body).toMatchObject({ Body: 'caption', MediaUrl: image });
    if (type === 'telnyx') expect(req.body).toMatchObject({ text: 'caption', media_urls: [image], subject: 'MMS Content' });
    if (type === 'onevoiceplus') {
      const upload = fake.requests.find((r) => r.path === '/media/assets');
      expect(upload?.body).toMatchObject({
        controlPart: { fileName: 'pic.jpg', fileType: 'image' },
        mediaPart: { mediaContent: Buffer.from('jpeg-bytes').toString('base64') },
      });
      expect(req.body).toEqual({
        source: '+15550001111',
        destination: '+15550002222',
        mediaId: [upload?.carrierMsgId],
        messageText: 'caption',
      });
    }
  });

  it('does not retry a 400 or bad credentials', async () => {
    fake.failNext(1, { status: 400 });
    expect(await sendError(type, fake.carrierRow(type))).toMatchObject({ retryable: false, status: 400, optOut: false });
    const wrongKey = await sendError(type, fake.carrierRow(type, { password: 'wrong' }));
    expect(wrongKey).toMatchObject({ retryable: false, status: 401 });
  });

  it.each([429, 503])('retries HTTP %i', async (status) => {
    fake.failNext(1, { status });
    expect(await sendError(type, fake.carrierRow(type))).toMatchObject({ retryable: true, status });
  });

  it('retries a dropped connection and a refused port', async () => {
    fake.failNext(1, { drop: true });
    const dropped = await sendError(type, fake.carrierRow(type));
    expect(dropped).toMatchObject({ retryable: true, status: undefined });
    expect(dropped.message).toContain('network error');
    const closed = await sendError(type, fake.carrierRow(type, { apiBaseUrl: 'http://127.0.0.1:1' }));
    expect(closed.retryable).toBe(true);
  });

  it('retries a carrier slower than the caller allows', async () => {
    fake.failNext(1, { delayMs: 2_000 });
    const slow = await sendError(type, fake.carrierRow(type), AbortSignal.timeout(150));
    expect(slow.retryable).toBe(true);
  });
});

describe('opt-outs', () => {
  it.each(['twilio', 'telnyx'] as const)('%s reports STOP as an opt-out, never retried', async (type) => {
    fake.optOut('+15550002222');
    const err = await sendError(type, fake.carrierRow(type));
    expect(err).toMatchObject({ optOut: true, retryable: false, carrierCode: type === 'twilio' ? '21610' : '40300' });
  });
});

describe('fake carrier bookkeeping', () => {
  it('counts duplicates by a caller-chosen key', async () => {
    const carrier = fake.carrierRow('telnyx');
    for (const text of ['a', 'b', 'a', 'c', 'a']) await driverFor('telnyx').send(sms(text), carrier, ctx());
    const count = fake.countBy((r) => (r.body as { text?: string }).text);
    expect(count).toMatchObject({ total: 5, unique: 3, duplicates: 2 });
  });

  it('fails a fraction of requests, deterministically with a seed', async () => {
    fake.failFraction(0.5, { status: 503 });
    const carrier = fake.carrierRow('twilio');
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => driverFor('twilio').send(sms(), carrier, ctx())));
    const failed = results.filter((r) => r.status === 'rejected').length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(35);
    expect(fake.sent('twilio')).toHaveLength(40 - failed);
  });
});

// ---- webhooks: a local receiver doing what the web room does ------------------------------

interface Received {
  verified: boolean;
  result: InboundResult;
}

describe('signed webhooks from the fake carrier', () => {
  const publicBase = 'https://gw.example.test';
  let receiver: Server;
  let localBase = '';
  let carrier: Carrier;
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks);
        const path = req.url ?? '/';
        const messageId = /\/status\/([^/?]+)/.exec(path)?.[1];
        const driver = driverFor(carrier.type);
        const verified = driver.verify({ headers: req.headers, rawBody, url: publicBase + path }, carrier);
        const result = driver.parseInbound(
          { headers: req.headers, rawBody, contentType: req.headers['content-type'] ?? '', messageId },
          carrier,
        );
        received.push({ verified, result });
        const response = verified ? result.response : { status: 403, contentType: 'text/plain', body: 'forbidden' };
        res.writeHead(response.status, { 'content-type': response.contentType }).end(response.body);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    localBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    received.length = 0;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('verifies a Twilio message webhook against the public URL and answers empty TwiML', async () => {
    carrier = fake.carrierRow('twilio');
    const path = `/inbound/${carrier.uuid}`;
    const form = { MessageSid: 'SM1', From: '+15550002222', To: '+15550001111', Body: 'reply', NumMedia: '0' };
    const res = await fake.postTwilioWebhook(localBase + path, form, { signedUrl: publicBase + path });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n</Response>');
    expect(received[0].verified).toBe(true);
    expect(received[0].result.messages).toMatchObject([{ from: '+15550002222', to: '+15550001111', text: 'reply' }]);
  });

  it('refuses a Twilio webhook signed for another URL or with another token', async () => {
    carrier = fake.carrierRow('twilio');
    const path = `/inbound/${carrier.uuid}`;
    const form = { MessageSid: 'SM1', From: '+1', To: '+2', Body: 'x' };
    expect((await fake.postTwilioWebhook(localBase + path, form)).status).toBe(403);
    expect((await fake.postTwilioWebhook(localBase + path, form, { signedUrl: publicBase + path, token: 'nope' })).status).toBe(403);
  });

  it('turns a Twilio status callback into a status for our message id', async () => {
    carrier = fake.carrierRow('twilio');
    const url = statusCallbackUrl(publicBase, carrier.uuid, 'msg-42');
    const path = new URL(url).pathname;
    await fake.postTwilioWebhook(localBase + path, { MessageSid: 'SM9', MessageStatus: 'delivered' }, { signedUrl: url });
    expect(received[0].verified).toBe(true);
    expect(received[0].result.statuses).toEqual([
      { carrierMsgId: 'SM9', status: 'delivered', carrierStatus: 'delivered', messageId: 'msg-42' },
    ]);
  });

  it('verifies a Telnyx Ed25519 webhook and refuses an expired one', async () => {
    carrier = fake.carrierRow('telnyx');
    const event = telnyxEvent('message.finalized', {
      id: 'out-1',
      direction: 'outbound',
      to: [{ phone_number: '+1', status: 'delivered' }],
    });
    expect((await fake.postTelnyxWebhook(`${localBase}/inbound/${carrier.uuid}`, event)).status).toBe(200);
    expect(received[0].result.statuses).toMatchObject([{ carrierMsgId: 'out-1', status: 'delivered' }]);
    const old = Math.floor(Date.now() / 1000) - 600;
    expect((await fake.postTelnyxWebhook(`${localBase}/inbound/${carrier.uuid}`, event, { timestampSec: old })).status).toBe(403);
  });
});
