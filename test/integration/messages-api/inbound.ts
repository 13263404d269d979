/**
 * Carrier webhooks (upstream §5.11): signed Twilio and Telnyx webhooks enter as
 * carrier Messages or StatusEvents; unsigned, wrongly signed or tampered ones are refused with
 * 403 and nothing enters; retries of one webhook enter once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_TWIML } from '../../../internal/carriers/index.js';
import { generateTelnyxKeys, signTelnyx, signTwilio, telnyxEvent, type TelnyxKeys } from '../../support/carrier-signing.js';
import { SERVER_ADDRESS, serve, type MessagesApi } from './harness.js';

const TWILIO_TOKEN = 'twilio-auth-token-for-webhooks';

interface CarrierInfo {
  id: number;
  uuid: string;
}

export function inboundTests(api: () => MessagesApi): void {
  let twilio: CarrierInfo;
  let telnyx: CarrierInfo;
  let keys: TelnyxKeys;

  const carrier = async (body: Record<string, unknown>): Promise<CarrierInfo> => {
    const res = await api().admin('POST', '/carriers', { name: api().uniq(`${body.type}-in`), username: 'AC123', ...body });
    expect(res.status, res.text).toBe(201);
    expect(res.body.webhook_url).toBe(`${SERVER_ADDRESS}/inbound/${res.body.uuid}`);
    return { id: res.body.id, uuid: res.body.uuid };
  };

  /** Posts a Twilio form; signed for the public URL of `path` unless told otherwise. */
  const postTwilio = (path: string, form: Record<string, string>, sign: { url?: string; token?: string; none?: boolean } = {}) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (!sign.none) headers['X-Twilio-Signature'] = signTwilio(sign.url ?? SERVER_ADDRESS + path, form, sign.token ?? TWILIO_TOKEN);
    return api().request('POST', path, undefined, { headers, raw: new URLSearchParams(form).toString() });
  };

  const postTelnyx = (path: string, event: unknown, options: { sign?: string; key?: TelnyxKeys } = {}) => {
    const body = JSON.stringify(event);
    const signed = signTelnyx(options.sign ?? body, (options.key ?? keys).privateKey);
    return api().request('POST', path, undefined, { headers: signed.headers, raw: body });
  };

  const twilioSms = (overrides: Record<string, string> = {}) => ({
    MessageSid: `SM${Math.random().toString(16).slice(2).padEnd(32, '0')}`,
    AccountSid: 'AC123',
    From: '+14155550777',
    To: '+16045550100',
    Body: 'Hello from Twilio',
    NumMedia: '0',
    ...overrides,
  });

  beforeAll(async () => {
    keys = generateTelnyxKeys();
    twilio = await carrier({ type: 'twilio', password: TWILIO_TOKEN });
    telnyx = await carrier({ type: 'telnyx', password: 'KEY_telnyx', public_key: keys.publicKeyBase64 });
  });

  describe('POST /inbound/{uuid}', () => {
    it('stores a signed Twilio message, then answers the empty TwiML', async () => {
      const form = twilioSms({ NumMedia: '1', MediaUrl0: 'https://api.twilio.test/Media/ME1', MediaContentType0: 'image/jpeg' });
      const res = await postTwilio(`/inbound/${twilio.uuid}`, form, { url: `${SERVER_ADDRESS}/inbound/${twilio.uuid}` });
      expect(res.status, res.text).toBe(200);
      expect(res.text).toBe(EMPTY_TWIML);
      expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
      const messages = await api().takeMessages('carrier');
      expect(messages).toEqual([
        {
          v: 1,
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          type: 'mms',
          from: '+14155550777',
          to: '+16045550100',
          text: 'Hello from Twilio',
          media: [{ url: 'https://api.twilio.test/Media/ME1', contentType: 'image/jpeg', filename: 'ME1' }],
          origin: { kind: 'carrier', carrierId: twilio.id, sourceIp: '127.0.0.1', node: 'web-node-1' },
          receivedAt: expect.any(Number),
          notice: false,
        },
      ]);
    });

    it('stores a signed Telnyx message.received', async () => {
      const event = telnyxEvent('message.received', {
        id: 'b0c1-inbound-1',
        direction: 'inbound',
        from: { phone_number: '+14155550888' },
        to: [{ phone_number: '+16045550101' }],
        text: 'Hello from Telnyx',
        media: [],
      });
      const res = await postTelnyx(`/inbound/${telnyx.uuid}`, event);
      expect(res.status, res.text).toBe(200);
      expect(await api().takeMessages('carrier')).toMatchObject([
        {
          type: 'sms',
          from: '+14155550888',
          to: '+16045550101',
          text: 'Hello from Telnyx',
          origin: { kind: 'carrier', carrierId: telnyx.id },
        },
      ]);
    });

    it('refuses unsigned, wrongly signed and tampered webhooks with 403, storing nothing', async () => {
      const path = `/inbound/${twilio.uuid}`;
      const form = twilioSms();
      const refused = [
        await postTwilio(path, form, { none: true }),
        await postTwilio(path, form, { token: 'not-the-token' }),
        // Signed for the local URL, not the public one the carrier was given.
        await postTwilio(path, form, { url: api().base + path }),
        // Signed, then the body changed on the way.
        await api().request('POST', path, undefined, {
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'X-Twilio-Signature': signTwilio(SERVER_ADDRESS + path, form, TWILIO_TOKEN),
          },
          raw: new URLSearchParams({ ...form, Body: 'Send me your password' }).toString(),
        }),
      ];
      const event = telnyxEvent('message.received', {
        id: 'tampered',
        from: { phone_number: '+14155550888' },
        to: [{ phone_number: '+16045550101' }],
        text: 'hi',
      });
      const telnyxPath = `/inbound/${telnyx.uuid}`;
      refused.push(
        await api().request('POST', telnyxPath, undefined, { raw: JSON.stringify(event) }),
        await postTelnyx(telnyxPath, event, { key: generateTelnyxKeys() }),
        await postTelnyx(telnyxPath, event, { sign: JSON.stringify({ ...event, meta: {} }) }),
      );
      for (const res of refused) {
        expect(res.status, res.text).toBe(403);
        expect(res.body).toEqual({ error: 'Invalid webhook signature' });
      }
      await api().expectNothingStored();
    });

    it("stores a carrier's retry of one webhook once", async () => {
      const form = twilioSms({ Body: 'only once' });
      for (let i = 0; i < 3; i++) expect((await postTwilio(`/inbound/${twilio.uuid}`, form)).status).toBe(200);
      expect(await api().pending(api().names.msgIn('carrier'))).toBe(1);
      expect((await api().takeMessages('carrier')).map((m) => m.text)).toEqual(['only once']);
    });

    it('accepts unsigned webhooks when the carrier does not verify them', async () => {
      const open = await carrier({ type: 'twilio', password: 'tok', verify_webhooks: false });
      const res = await postTwilio(`/inbound/${open.uuid}`, twilioSms({ Body: 'unsigned ok' }), { none: true });
      expect(res.status).toBe(200);
      expect(await api().takeMessages('carrier')).toMatchObject([{ text: 'unsigned ok', origin: { carrierId: open.id } }]);
    });

    it("answers 404 for an unknown carrier and the driver's 400 for a malformed webhook", async () => {
      const unknown = await postTwilio('/inbound/0123456789abcdef01234567', twilioSms());
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ error: 'carrier not found' });
      const noFrom = twilioSms();
      delete (noFrom as Record<string, string>).From;
      const malformed = await postTwilio(`/inbound/${twilio.uuid}`, noFrom);
      expect(malformed.status).toBe(400);
      await api().expectNothingStored();
    });

    it('answers 503 when the webhook cannot be stored, so the carrier retries', async () => {
      const down = await api().env.otherBus();
      await down.stop();
      const app = await serve(api().deps({ bus: down }));
      try {
        const path = `/inbound/${twilio.uuid}`;
        const form = twilioSms();
        const res = await api().request('POST', path, undefined, {
          base: app.url,
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'X-Twilio-Signature': signTwilio(SERVER_ADDRESS + path, form, TWILIO_TOKEN),
          },
          raw: new URLSearchParams(form).toString(),
        });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
      } finally {
        await app.stop();
      }
      await api().expectNothingStored();
    });
  });

  describe('delivery statuses', () => {
    it('stores a Twilio status callback as a StatusEvent for the message in the path', async () => {
      const path = `/inbound/${twilio.uuid}/status/65f0a1b2c3d4e5f601234567`;
      const form = { MessageSid: 'SMstatus1', MessageStatus: 'undelivered', ErrorCode: '30003', AccountSid: 'AC123' };
      const res = await postTwilio(path, form);
      expect(res.status, res.text).toBe(200);
      expect(await api().pending(api().names.status('65f0a1b2c3d4e5f601234567'))).toBe(1);
      expect(await api().takeStatuses()).toEqual([
        {
          v: 1,
          messageId: '65f0a1b2c3d4e5f601234567',
          status: 'undelivered',
          from: '',
          to: '',
          carrierId: twilio.id,
          carrierMsgId: 'SMstatus1',
          errorCode: '30003',
          at: expect.any(Number),
        },
      ]);
      // Signed for the plain inbound URL, the status path's signature does not hold.
      const wrong = await postTwilio(path, form, { url: `${SERVER_ADDRESS}/inbound/${twilio.uuid}` });
      expect(wrong.status).toBe(403);
      await api().expectNothingStored();
    });

    it("stores a Telnyx message.finalized under the carrier's id, once per status", async () => {
      const event = telnyxEvent('message.finalized', {
        id: 'tx-final-1',
        direction: 'outbound',
        to: [{ phone_number: '+14155550111', status: 'delivered' }],
      });
      for (let i = 0; i < 2; i++) expect((await postTelnyx(`/inbound/${telnyx.uuid}`, event)).status).toBe(200);
      expect(await api().pending(api().names.status('tx-final-1'))).toBe(1);
      expect(await api().takeStatuses()).toMatchObject([
        {
          messageId: '',
          status: 'delivered',
          carrierId: telnyx.id,
          carrierMsgId: 'tx-final-1',
        },
      ]);
    });

    it('answers 404 for a status path whose message id cannot be one of ours', async () => {
      const res = await postTwilio(`/inbound/${twilio.uuid}/status/${'x'.repeat(65)}`, { MessageSid: 'SM1', MessageStatus: 'sent' });
      expect(res.status).toBe(404);
    });
  });
}
