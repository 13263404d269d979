/**
 * Per-number features end to end on an embedded node (PGlite, memory bus, memory cooldowns).
 * Auto-reply: a carrier message to a number with auto-reply on is answered through the number's
 * carrier and kept from the client; the next one within the cooldown is kept and unanswered;
 * STOP is delivered and never answered; a client-to-client message is answered inside the
 * gateway. Webhooks: a number's own webhook wins over its client's default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeCarrier, registerFakeCarriers, telnyxEvent } from '../support/fake-carrier.js';
import { basicAuth as basic, startTestNode, type TestNode } from '../support/test-node.js';
import { WebhookSink } from '../support/webhook-sink.js';
import { waitFor } from '../support/wait.js';

const API_KEY = 'autoreply-admin-key';
const AWAY = '+15550005000';
const OTHER = '+15550006000';
const OWN = '+15550006001';

describe('per-number features on an embedded node', () => {
  let gw: TestNode;
  let fake: FakeCarrier;
  let sink: WebhookSink;
  let inboundUrl: string;
  const api = (...args: Parameters<TestNode['api']>) => gw.api(...args);

  async function webClient(name: string, number: string): Promise<number> {
    const c = await api('POST', '/clients', { username: name, password: `${name}-pass`, type: 'web' });
    expect(c.status).toBe(201);
    expect((await api('PUT', `/clients/${c.body.id}/settings`, { default_webhook: `${sink.url}/${name}` })).status).toBe(200);
    const n = await api('POST', `/clients/${c.body.id}/numbers`, { number, carrier: 'telnyx-main' });
    expect(n.status).toBe(201);
    return n.body.id;
  }

  const fromCarrier = (id: string, from: string, text: string, to = AWAY) =>
    fake.postTelnyxWebhook(
      inboundUrl,
      telnyxEvent('message.received', {
        id,
        direction: 'inbound',
        text,
        from: { phone_number: from },
        to: [{ phone_number: to }],
        media: [],
      }),
    );
  const repliesTo = (to: string) => fake.sent('telnyx').filter((r) => (r.body as any).to === to);

  beforeAll(async () => {
    fake = await FakeCarrier.start();
    sink = await WebhookSink.start();
    gw = await startTestNode({
      serverId: 'ar1',
      apiKey: API_KEY,
      env: { AUTO_REPLY_ENABLED: 'true', AUTO_REPLY_DEFAULT_MESSAGE: 'We are closed' },
    });
    await registerFakeCarriers(api, fake, ['telnyx']);
    inboundUrl = (await api('GET', '/carriers')).body[0].webhook_url;
    const awayId = await webClient('away', AWAY);
    await webClient('other', OTHER);
    const set = await api('PUT', `/numbers/${awayId}/auto-reply`, { enabled: true, message: 'Closed until Monday', cooldown_secs: 3600 });
    expect(set.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([fake?.close(), sink?.close()]);
  });

  describe('auto-reply', () => {
    it("answers a carrier message through the number's carrier, once per cooldown, and keeps it from the client", async () => {
      expect((await fromCarrier('ar-1', '+15557770001', 'are you open?')).status).toBe(200);
      await waitFor(() => repliesTo('+15557770001').length === 1);
      expect(repliesTo('+15557770001')[0]!.body).toMatchObject({ from: AWAY, to: '+15557770001', text: 'Closed until Monday' });

      expect((await fromCarrier('ar-2', '+15557770001', 'hello??')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      expect(repliesTo('+15557770001')).toHaveLength(1);
      expect(sink.received.filter((w) => w.path === '/away')).toEqual([]);

      const history = await api('GET', `/messages/history?direction=outbound&to=%2B15557770001`, undefined, basic('away', 'away-pass'));
      expect(history.body.messages).toMatchObject([{ from_number: AWAY, to_number: '+15557770001' }]);
    });

    it('delivers STOP to the client and never answers it, nor that sender afterwards', async () => {
      expect((await fromCarrier('ar-3', '+15557770003', 'STOP')).status).toBe(200);
      const hook = await sink.waitFor((w) => w.path === '/away' && w.body?.text === 'STOP');
      expect(hook.body).toMatchObject({ from: '+15557770003', to: AWAY });
      expect((await fromCarrier('ar-4', '+15557770003', 'still there?')).status).toBe(200);
      await sink.waitFor((w) => w.path === '/away' && w.body?.text === 'still there?');
      expect(repliesTo('+15557770003')).toEqual([]);
    });

    it('answers another client inside the gateway', async () => {
      const res = await api('POST', '/messages/send', { from: OTHER, to: AWAY, text: 'internal hello' }, basic('other', 'other-pass'));
      expect(res.status).toBe(202);
      const reply = await sink.waitFor((w) => w.path === '/other' && w.body?.text === 'Closed until Monday');
      expect(reply.body).toMatchObject({ from: AWAY, to: OTHER, type: 'sms' });
      expect(sink.received.filter((w) => w.path === '/away' && w.body?.text === 'internal hello')).toEqual([]);
    });
  });

  describe('webhooks', () => {
    it("delivers to the number's own webhook over the client's default, and to the default without one", async () => {
      const clients = (await api('GET', '/clients')).body as Array<{ id: number; username: string }>;
      const other = clients.find((c) => c.username === 'other')!;
      const own = await api('POST', `/clients/${other.id}/numbers`, {
        number: OWN,
        carrier: 'telnyx-main',
        webhook: `${sink.url}/own-hook`,
      });
      expect(own.status).toBe(201);
      expect((await fromCarrier('wh-1', '+15557770009', 'to the own hook', OWN)).status).toBe(200);
      expect((await fromCarrier('wh-2', '+15557770009', 'to the default', OTHER)).status).toBe(200);
      expect((await sink.waitFor((w) => w.body?.text === 'to the own hook')).path).toBe('/own-hook');
      expect((await sink.waitFor((w) => w.body?.text === 'to the default')).path).toBe('/other');

      expect((await api('PUT', `/clients/${other.id}/numbers/${own.body.id}`, { webhook: '' })).status).toBe(200);
      expect((await fromCarrier('wh-3', '+15557770009', 'back to the default', OWN)).status).toBe(200);
      expect((await sink.waitFor((w) => w.body?.text === 'back to the default')).path).toBe('/other');
    });
  });
});
