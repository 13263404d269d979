import { describe, expect, it } from 'vitest';
import { CarrierError } from '../errors/index.js';
import { carrierRow } from '../../test/support/carrier-rows.js';
import { generateTelnyxKeys, signTelnyx, telnyxEvent } from '../../test/support/carrier-signing.js';
import { jsonResponse, recordingFetch } from '../../test/support/fake-fetch.js';
import { mapTelnyxStatus, telnyxDriver, telnyxPublicKey } from './telnyx.js';
import type { OutboundMessage } from './types.js';

const sms: OutboundMessage = { id: 'm1', type: 'sms', from: '+15550001111', to: '+15550002222', text: 'hello', mediaUrls: [] };
const mms: OutboundMessage = { ...sms, type: 'mms', text: 'look', mediaUrls: ['https://gw.test/media/a'] };
const ctx = (fetch: typeof globalThis.fetch) => ({ fetch, signal: new AbortController().signal, statusCallbackUrl: 'https://gw.test/cb' });
const ok = () => jsonResponse(200, { data: { id: '4031938f-c9a8-4bfe-8b2b-8c2a1e5a1c11', record_type: 'message' } });

describe('telnyx send', () => {
  it('posts from, to, text and messaging_profile_id with a Bearer key', async () => {
    const f = recordingFetch(ok);
    const carrier = carrierRow('telnyx');
    const out = await telnyxDriver.send(sms, carrier, ctx(f.fetch));
    expect(out.carrierMsgId).toBe('4031938f-c9a8-4bfe-8b2b-8c2a1e5a1c11');
    expect(f.calls[0].url).toBe('https://api.telnyx.com/v2/messages');
    expect(f.calls[0].headers.authorization).toBe(`Bearer ${carrier.password}`);
    expect(f.calls[0].headers['content-type']).toBe('application/json');
    expect(JSON.parse(f.calls[0].body)).toEqual({ from: sms.from, to: sms.to, text: 'hello', messaging_profile_id: carrier.profileId });
  });

  it('sends MMS with subject, media_urls and the text', async () => {
    const f = recordingFetch(ok);
    await telnyxDriver.send(mms, carrierRow('telnyx', { profileId: '' }), ctx(f.fetch));
    expect(JSON.parse(f.calls[0].body)).toEqual({
      from: sms.from,
      to: sms.to,
      text: 'look',
      subject: 'MMS Content',
      media_urls: mms.mediaUrls,
    });
  });

  it('omits text for an MMS without text, as upstream', async () => {
    const f = recordingFetch(ok);
    await telnyxDriver.send({ ...mms, text: '' }, carrierRow('telnyx'), ctx(f.fetch));
    expect(JSON.parse(f.calls[0].body)).not.toHaveProperty('text');
  });

  it('honours api_base_url', async () => {
    const f = recordingFetch(ok);
    await telnyxDriver.send(sms, carrierRow('telnyx', { apiBaseUrl: 'http://127.0.0.1:5555' }), ctx(f.fetch));
    expect(f.calls[0].url).toBe('http://127.0.0.1:5555/v2/messages');
  });

  it('reports a STOP block as an opt-out that is never retried', async () => {
    const f = recordingFetch(() => jsonResponse(400, { errors: [{ code: '40300', title: 'Blocked due to STOP message', detail: 'x' }] }));
    const err = await telnyxDriver.send(sms, carrierRow('telnyx'), ctx(f.fetch)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CarrierError);
    expect(err).toMatchObject({ optOut: true, retryable: false, carrierCode: '40300', status: 400 });
  });

  it('retries a full account queue (40318)', async () => {
    const f = recordingFetch(() => jsonResponse(400, { errors: [{ code: '40318', title: 'Message queue full' }] }));
    await expect(telnyxDriver.send(sms, carrierRow('telnyx'), ctx(f.fetch))).rejects.toMatchObject({ retryable: true, status: 400 });
  });

  it.each([
    [400, false],
    [401, false],
    [422, false],
    [429, true],
    [500, true],
    [503, true],
  ])('classifies HTTP %i as retryable=%s', async (status, retryable) => {
    const f = recordingFetch(() => jsonResponse(status, { errors: [{ code: '10001', title: 'Bad', detail: 'why' }] }));
    const err = await telnyxDriver.send(sms, carrierRow('telnyx'), ctx(f.fetch)).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable, status, optOut: false });
    expect((err as Error).message).toContain('code 10001: Bad: why');
  });
});

describe('telnyx verify', () => {
  const keys = generateTelnyxKeys();
  const carrier = carrierRow('telnyx', { publicKey: keys.publicKeyBase64 });
  const body = JSON.stringify(telnyxEvent('message.received', { id: 'x' }));
  const now = 1_700_000_000_000;
  const request = (headers: Record<string, string>, raw = body) => ({
    headers,
    rawBody: Buffer.from(raw),
    url: 'https://gw/inbound/x',
    receivedAtMs: now,
  });

  it('builds a key object from the base64 raw key', () => {
    expect(telnyxPublicKey(keys.publicKeyBase64)?.asymmetricKeyType).toBe('ed25519');
    expect(telnyxPublicKey('c2hvcnQ=')).toBeUndefined();
  });

  it('accepts a valid signature within the tolerance', () => {
    const signed = signTelnyx(body, keys.privateKey, now / 1000 - 299);
    expect(telnyxDriver.verify(request(signed.headers), carrier)).toBe(true);
  });

  it('refuses a tampered body, another key, an expired or future timestamp and missing headers', () => {
    const signed = signTelnyx(body, keys.privateKey, now / 1000);
    expect(telnyxDriver.verify(request(signed.headers, body.replace('"x"', '"y"')), carrier)).toBe(false);
    expect(telnyxDriver.verify(request(signed.headers), { ...carrier, publicKey: generateTelnyxKeys().publicKeyBase64 })).toBe(false);
    expect(telnyxDriver.verify(request(signTelnyx(body, keys.privateKey, now / 1000 - 301).headers), carrier)).toBe(false);
    expect(telnyxDriver.verify(request(signTelnyx(body, keys.privateKey, now / 1000 + 301).headers), carrier)).toBe(false);
    expect(telnyxDriver.verify(request({ 'telnyx-timestamp': signed.timestamp }), carrier)).toBe(false);
    expect(telnyxDriver.verify(request({ ...signed.headers, 'telnyx-timestamp': String(now / 1000 + 1) }), carrier)).toBe(false);
  });

  it('takes webhooks unsigned without a public key (as gomsggw did) or with verification off', () => {
    expect(telnyxDriver.verify(request({}), { ...carrier, publicKey: '' })).toBe(true);
    expect(telnyxDriver.verify(request({}), { ...carrier, verifyWebhooks: false })).toBe(true);
  });
});

describe('telnyx parseInbound', () => {
  const carrier = carrierRow('telnyx');
  const parse = (event: unknown) =>
    telnyxDriver.parseInbound(
      { headers: {}, rawBody: Buffer.from(typeof event === 'string' ? event : JSON.stringify(event)), contentType: 'application/json' },
      carrier,
    );

  it('turns message.received into one message for the first recipient', () => {
    const out = parse(
      telnyxEvent('message.received', {
        id: 'in-1',
        direction: 'inbound',
        from: { phone_number: '+15550001111' },
        to: [{ phone_number: '+15550002222' }, { phone_number: '+15550003333' }],
        text: 'hi',
        media: [
          { url: 'https://m.telnyx.com/1', content_type: 'image/png' },
          { url: 'https://m.telnyx.com/2', content_type: 'bad' },
        ],
      }),
    );
    expect(out.messages).toEqual([
      {
        from: '+15550001111',
        to: '+15550002222',
        text: 'hi',
        carrierMsgId: 'in-1',
        media: [{ url: 'https://m.telnyx.com/1', contentType: 'image/png' }],
      },
    ]);
    expect(out.response.status).toBe(200);
  });

  it('turns message.sent into a sent status', () => {
    const out = parse(telnyxEvent('message.sent', { id: 'out-1', direction: 'outbound', to: [{ phone_number: '+1', status: 'sent' }] }));
    expect(out.statuses).toEqual([{ carrierMsgId: 'out-1', status: 'sent', carrierStatus: 'sent' }]);
    expect(out.messages).toEqual([]);
  });

  it('turns message.finalized into the mapped status with the first error', () => {
    const out = parse(
      telnyxEvent('message.finalized', {
        id: 'out-2',
        direction: 'outbound',
        to: [{ phone_number: '+1', status: 'delivery_failed' }],
        errors: [{ code: '40008', title: 'Undeliverable', detail: 'handset off' }],
      }),
    );
    expect(out.statuses).toEqual([
      { carrierMsgId: 'out-2', status: 'undelivered', carrierStatus: 'delivery_failed', errorCode: '40008', errorText: 'Undeliverable' },
    ]);
  });

  it('maps finalized statuses (field-notes §5.4)', () => {
    expect(mapTelnyxStatus('delivered')).toBe('delivered');
    expect(mapTelnyxStatus('sending_failed')).toBe('failed');
    expect(mapTelnyxStatus('delivery_failed')).toBe('undelivered');
    expect(mapTelnyxStatus('delivery_unconfirmed')).toBe('unknown');
    expect(mapTelnyxStatus('something_new')).toBe('unknown');
  });

  it('acknowledges other events without routing anything', () => {
    const out = parse(telnyxEvent('message.queued', { id: 'q' }));
    expect(out).toMatchObject({ messages: [], statuses: [], response: { status: 200 } });
  });

  it('answers 400 with a JSON error for malformed bodies and recipient-less messages', () => {
    for (const bad of ['not json', '[]', { data: 'x' }, telnyxEvent('message.received', { from: { phone_number: '+1' }, to: [] })]) {
      const out = parse(bad);
      expect(out.response.status).toBe(400);
      expect(out.response.contentType).toBe('application/json');
      expect(JSON.parse(out.response.body)).toHaveProperty('error');
      expect(out.messages).toEqual([]);
    }
  });

  it('needs no auth for media', () => {
    expect(telnyxDriver.mediaAuth(carrier, 'https://api.telnyx.com/v2/media/x')).toEqual({});
  });
});
