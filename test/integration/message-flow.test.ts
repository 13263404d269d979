/**
 * The message core end to end, on the embedded default (PGlite, memory
 * bus) and on real PostgreSQL + nats-server: a REST send reaches the test carrier with the right
 * body and auth; a signed carrier webhook reaches a web client's webhook in each of the three
 * formats; a carrier status callback reaches the sender as a status webhook; an unsigned or
 * wrongly signed webhook is refused and nothing is routed.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeCarrier, registerFakeCarriers, telnyxEvent } from '../support/fake-carrier.js';
import { basicAuth as basic, nodeModes, startTestNode, type TestNode } from '../support/test-node.js';
import { WebhookSink } from '../support/webhook-sink.js';
import { waitFor } from '../support/wait.js';

const API_KEY = 'flow-admin-key';
const modes = nodeModes('flow');

describe.each(modes)('message flow, $name', (mode) => {
  let gw: TestNode;
  let fake: FakeCarrier;
  let sink: WebhookSink;
  let base: string;
  const ids: Record<string, number> = {};
  const secrets: Record<string, string> = {};
  const api = (...args: Parameters<TestNode['api']>) => gw.api(...args);

  async function webClient(name: string, format: string, number: string) {
    const c = await api('POST', '/clients', { username: name, password: `${name}-pass`, type: 'web' });
    expect(c.status).toBe(201);
    ids[name] = c.body.id;
    const s = await api('PUT', `/clients/${c.body.id}/settings`, { api_format: format, default_webhook: `${sink.url}/${name}` });
    secrets[name] = s.body.settings.webhook_secret;
    expect((await api('POST', `/clients/${c.body.id}/numbers`, { number, carrier: 'telnyx-main' })).status).toBe(201);
  }

  beforeAll(async () => {
    if (mode.skip) return;
    fake = await FakeCarrier.start();
    sink = await WebhookSink.start();
    gw = await startTestNode({
      serverId: 'flow1',
      apiKey: API_KEY,
      env: { WEBHOOK_RETRY_DELAY_SECS: '0', CARRIER_RETRY_DELAY_SECS: '0', ...(await mode.env()) },
    });
    base = gw.base;

    await registerFakeCarriers(api, fake);
    await webClient('sender', 'generic', '+15550001000');
    await webClient('gen', 'generic', '+15550002000');
    await webClient('bic', 'bicom', '+15550003000');
    await webClient('tel', 'telnyx', '+15550004000');
    const tw = await api('POST', `/clients/${ids.sender}/numbers`, { number: '+15550001001', carrier: 'twilio-main' });
    expect(tw.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([fake?.close(), sink?.close()]);
  });

  const carriers = () => api('GET', '/carriers').then((r) => r.body as Array<{ name: string; webhook_url: string }>);
  const inboundUrl = async (name: string) => (await carriers()).find((c) => c.name === name)!.webhook_url;

  it.skipIf(mode.skip)('sends a REST message to the carrier with the right body and auth', async () => {
    const res = await api(
      'POST',
      '/messages/send',
      { from: '+15550001000', to: '+15559990001', text: 'hello carrier' },
      basic('sender', 'sender-pass'),
    );
    expect(res.status).toBe(202);
    await waitFor(() => fake.sent('telnyx').some((r) => (r.body as any).text === 'hello carrier'));
    const req = fake.sent('telnyx').find((r) => (r.body as any).text === 'hello carrier')!;
    expect(req.headers.authorization).toBe(`Bearer ${fake.credentials.telnyx.apiKey}`);
    expect(req.body).toMatchObject({ from: '+15550001000', to: '+15559990001', text: 'hello carrier' });
  });

  it.skipIf(mode.skip)('delivers a signed Telnyx webhook to a web client in each of the three formats', async () => {
    const url = await inboundUrl('telnyx-main');
    for (const [name, to] of [
      ['gen', '+15550002000'],
      ['bic', '+15550003000'],
      ['tel', '+15550004000'],
    ] as const) {
      const event = telnyxEvent('message.received', {
        id: `tx-${name}`,
        direction: 'inbound',
        text: `hi ${name}`,
        from: { phone_number: '+15557770000' },
        to: [{ phone_number: to }],
        media: [],
      });
      expect((await fake.postTelnyxWebhook(url, event)).status).toBe(200);
      const hook = await sink.waitFor((w) => w.path === `/${name}` && w.rawBody.includes(`hi ${name}`));
      verifySignature(hook, secrets[name]!);
      if (name === 'gen') {
        expect(hook.body).toMatchObject({ from: '+15557770000', to, text: 'hi gen', type: 'sms' });
        expect(hook.headers.authorization).toBe(basic('gen', 'gen-pass'));
      } else if (name === 'bic') {
        expect(hook.body).toEqual({ from: '+15557770000', to, text: 'hi bic', media_urls: [] });
        expect(hook.headers.authorization).toBe(`Bearer ${Buffer.from('bic:bic-pass').toString('base64')}`);
      } else {
        expect(hook.body.data).toMatchObject({
          event_type: 'message.received',
          payload: { from: { phone_number: '+15557770000' }, to: [{ phone_number: to }], text: 'hi tel' },
        });
      }
    }
  });

  it.skipIf(mode.skip)('turns a carrier status callback into a status webhook for the sender', async () => {
    const res = await api(
      'POST',
      '/messages/send',
      { from: '+15550001000', to: '+15559990002', text: 'track me' },
      basic('sender', 'sender-pass'),
    );
    expect(res.status).toBe(202);
    await waitFor(() => fake.sent('telnyx').some((r) => (r.body as any).text === 'track me'));
    const carrierMsgId = fake.sent('telnyx').find((r) => (r.body as any).text === 'track me')!.carrierMsgId!;
    const event = telnyxEvent('message.finalized', {
      id: carrierMsgId,
      direction: 'outbound',
      from: { phone_number: '+15550001000' },
      to: [{ phone_number: '+15559990002', status: 'delivered' }],
    });
    await waitFor(async () => (await fake.postTelnyxWebhook(await inboundUrl('telnyx-main'), event)).status === 200);
    const hook = await sink.waitFor((w) => w.path === '/sender' && w.body?.type === 'status' && w.body.id === res.body.id);
    expect(hook.body).toMatchObject({ status: 'delivered', from: '+15550001000', to: '+15559990002' });
  });

  it.skipIf(mode.skip)('asks Twilio for a status callback and turns it into a status webhook', async () => {
    const res = await api(
      'POST',
      '/messages/send',
      { from: '+15550001001', to: '+15559990003', text: 'via twilio' },
      basic('sender', 'sender-pass'),
    );
    expect(res.status).toBe(202);
    await waitFor(() => fake.sent('twilio').some((r) => (r.body as any).Body === 'via twilio'));
    const req = fake.sent('twilio').find((r) => (r.body as any).Body === 'via twilio')!;
    const callback = (req.body as any).StatusCallback as string;
    expect(callback).toBe(
      `${base}/inbound/${(await api('GET', '/carriers')).body.find((c: any) => c.name === 'twilio-main').uuid}/status/${res.body.id}`,
    );
    const form = {
      MessageSid: req.carrierMsgId!,
      MessageStatus: 'delivered',
      AccountSid: fake.credentials.twilio.accountSid,
      From: '+15550001001',
      To: '+15559990003',
    };
    expect((await fake.postTwilioWebhook(callback, form)).status).toBe(200);
    const hook = await sink.waitFor((w) => w.body?.type === 'status' && w.body.id === res.body.id);
    expect(hook.body.status).toBe('delivered');
  });

  it.skipIf(mode.skip)('refuses an unsigned or wrongly signed webhook and routes nothing', async () => {
    const url = await inboundUrl('telnyx-main');
    const event = telnyxEvent('message.received', {
      id: 'tx-forged',
      text: 'forged',
      from: { phone_number: '+15557770000' },
      to: [{ phone_number: '+15550002000' }],
      media: [],
    });
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    expect(unsigned.status).toBe(403);
    const wrong = await fetch(url, {
      method: 'POST',
      body: JSON.stringify(event),
      headers: {
        'content-type': 'application/json',
        'telnyx-timestamp': String(Math.floor(Date.now() / 1000)),
        'telnyx-signature-ed25519': Buffer.alloc(64, 7).toString('base64'),
      },
    });
    expect(wrong.status).toBe(403);
    const twilioUrl = await inboundUrl('twilio-main');
    const badTwilio = await fake.postTwilioWebhook(
      twilioUrl,
      { From: '+15557770000', To: '+15550002000', Body: 'forged' },
      { token: 'not-the-token' },
    );
    expect(badTwilio.status).toBe(403);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.received.filter((w) => w.rawBody.includes('forged'))).toEqual([]);
  });

  it.skipIf(mode.skip)('retries a carrier 503 and delivers once it recovers', async () => {
    fake.failNext(2, { status: 503 });
    const res = await api(
      'POST',
      '/messages/send',
      { from: '+15550001000', to: '+15559990004', text: 'retry me' },
      basic('sender', 'sender-pass'),
    );
    expect(res.status).toBe(202);
    await waitFor(() => fake.sent('telnyx').some((r) => (r.body as any).text === 'retry me'));
    const attempts = fake.requests.filter((r) => (r.body as any)?.text === 'retry me');
    expect(attempts.map((r) => r.outcome)).toEqual(['failed', 'failed', 'accepted']);
  });

  it.skipIf(mode.skip)('never retries a carrier 4xx, and tells the sender: status webhook and notice', async () => {
    fake.failNext(1, { status: 422, body: { errors: [{ code: '40310', title: 'Invalid to number' }] } });
    const res = await api(
      'POST',
      '/messages/send',
      { from: '+15550001000', to: '+15559990005', text: 'refused' },
      basic('sender', 'sender-pass'),
    );
    expect(res.status).toBe(202);
    const status = await sink.waitFor((w) => w.path === '/sender' && w.body?.type === 'status' && w.body.id === res.body.id);
    expect(status.body).toMatchObject({ status: 'failed', to: '+15559990005' });
    const notice = await sink.waitFor((w) => w.path === '/sender' && w.body?.text?.includes(`ID: ${res.body.id}`));
    expect(notice.body).toMatchObject({ from: '+15559990005', to: '+15550001000', type: 'sms' });
    expect(notice.body.text).toMatch(/^An error occurred\. Please try again later/);
    expect(fake.requests.filter((r) => (r.body as any)?.text === 'refused')).toHaveLength(1);
  });

  it.skipIf(mode.skip)('retries a failing webhook with backoff until it is accepted', async () => {
    sink.failNext(2, 500);
    const url = await inboundUrl('telnyx-main');
    const event = telnyxEvent('message.received', {
      id: 'tx-retry',
      direction: 'inbound',
      text: 'hook retry',
      from: { phone_number: '+15557770001' },
      to: [{ phone_number: '+15550002000' }],
      media: [],
    });
    expect((await fake.postTelnyxWebhook(url, event)).status).toBe(200);
    await sink.waitFor(
      (w) => w.rawBody.includes('hook retry') && sink.received.filter((x) => x.rawBody.includes('hook retry')).length === 3,
    );
    expect(sink.received.filter((w) => w.rawBody.includes('hook retry'))).toHaveLength(3);
  });

  it.skipIf(mode.skip)('records a message it cannot route and tells the sender', async () => {
    // A carrier type as the number's carrier, with no carrier of that type configured.
    expect((await api('POST', `/clients/${ids.sender}/numbers`, { number: '+15550001002', carrier: 'onevoiceplus' })).status).toBe(201);
    const res = await api(
      'POST',
      '/messages/send',
      { from: '+15550001002', to: '+15559990006', text: 'no route' },
      basic('sender', 'sender-pass'),
    );
    expect(res.status).toBe(202);
    const status = await sink.waitFor((w) => w.path === '/sender' && w.body?.type === 'status' && w.body.id === res.body.id);
    expect(status.body).toMatchObject({ status: 'rejected', error_code: 'NO_ROUTE' });
    const history = await api('GET', '/messages/history?direction=outbound&to=%2B15559990006', undefined, basic('sender', 'sender-pass'));
    expect(history.body.messages).toMatchObject([{ message_id: res.body.id, status: 'rejected' }]);
  });

  it.skipIf(mode.skip)('counts what it carried in /stats, gathered across nodes', async () => {
    const stats = await api('GET', '/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.nodes.map((n: { server_id: string }) => n.server_id)).toEqual(['flow1']);
    expect(stats.body.messages.ingress.web).toBeGreaterThanOrEqual(3);
    expect(stats.body.messages.ingress.carrier).toBeGreaterThanOrEqual(3);
    expect(stats.body.messages.egress['carrier:ok']).toBeGreaterThanOrEqual(3);
    expect(stats.body.messages.routed.carrier).toBeGreaterThanOrEqual(3);
  });

  it.skipIf(mode.skip)('delivers between two web clients inside the gateway', async () => {
    const res = await api(
      'POST',
      '/messages/send',
      { from: '+15550001000', to: '+15550002000', text: 'internal hop' },
      basic('sender', 'sender-pass'),
    );
    expect(res.status).toBe(202);
    const hook = await sink.waitFor((w) => w.path === '/gen' && w.body?.text === 'internal hop');
    expect(hook.body).toMatchObject({ id: res.body.id, from: '+15550001000', to: '+15550002000' });
  });
});

function verifySignature(hook: { headers: Record<string, any>; rawBody: string }, secret: string): void {
  const header = String(hook.headers['x-msggw-signature']);
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
  expect(t, header).toBeDefined();
  expect(createHmac('sha256', secret).update(`${t}.${hook.rawBody}`).digest('hex')).toBe(v1);
}
