import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CarrierError } from '../errors/index.js';
import { carrierRow } from '../../test/support/carrier-rows.js';
import { signTwilio } from '../../test/support/carrier-signing.js';
import { jsonResponse, recordingFetch } from '../../test/support/fake-fetch.js';
import { EMPTY_TWIML, mapTwilioStatus, twilioDriver, twilioSignature } from './twilio.js';
import type { OutboundMessage } from './types.js';

const FORM = 'application/x-www-form-urlencoded';
const sms: OutboundMessage = { id: 'm1', type: 'sms', from: '+15550001111', to: '+15550002222', text: 'hello', mediaUrls: [] };
const mms: OutboundMessage = { ...sms, type: 'mms', text: 'look', mediaUrls: ['https://gw.test/media/a', 'https://gw.test/media/b'] };
const ctx = (fetch: typeof globalThis.fetch) => ({
  fetch,
  signal: new AbortController().signal,
  statusCallbackUrl: 'https://gw.test/inbound/u/status/m1',
});

function created(): Response {
  return jsonResponse(201, { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' });
}

describe('twilio send', () => {
  it('posts To, From, Body and StatusCallback to Messages.json with Basic auth', async () => {
    const f = recordingFetch(created);
    const carrier = carrierRow('twilio');
    const out = await twilioDriver.send(sms, carrier, ctx(f.fetch));
    expect(out.carrierMsgId).toBe('SM0123456789abcdef0123456789abcdef');
    const call = f.calls[0];
    expect(call.url).toBe(`https://api.twilio.com/2010-04-01/Accounts/${carrier.username}/Messages.json`);
    expect(call.method).toBe('POST');
    expect(call.headers['content-type']).toBe(FORM);
    expect(call.headers.authorization).toBe(`Basic ${Buffer.from(`${carrier.username}:${carrier.password}`).toString('base64')}`);
    const form = new URLSearchParams(call.body);
    expect(Object.fromEntries(form)).toEqual({
      To: '+15550002222',
      From: '+15550001111',
      Body: 'hello',
      StatusCallback: 'https://gw.test/inbound/u/status/m1',
    });
  });

  it('keeps the text of an MMS and repeats MediaUrl', async () => {
    const f = recordingFetch(created);
    await twilioDriver.send(mms, carrierRow('twilio'), ctx(f.fetch));
    const form = new URLSearchParams(f.calls[0].body);
    expect(form.get('Body')).toBe('look');
    expect(form.getAll('MediaUrl')).toEqual(mms.mediaUrls);
  });

  it('honours api_base_url and omits StatusCallback when none is given', async () => {
    const f = recordingFetch(created);
    const carrier = carrierRow('twilio', { apiBaseUrl: 'http://127.0.0.1:5555/' });
    await twilioDriver.send(sms, carrier, { ...ctx(f.fetch), statusCallbackUrl: '' });
    expect(f.calls[0].url).toBe(`http://127.0.0.1:5555/2010-04-01/Accounts/${carrier.username}/Messages.json`);
    expect(new URLSearchParams(f.calls[0].body).has('StatusCallback')).toBe(false);
  });

  it.each([
    [400, 21211, false],
    [401, 20003, false],
    [429, 20429, true],
    [503, 20500, true],
    [400, 21611, true],
  ])('classifies HTTP %i (code %i) as retryable=%s', async (status, code, retryable) => {
    const f = recordingFetch(() => jsonResponse(status, { code, message: 'nope', status }));
    const err = await twilioDriver.send(sms, carrierRow('twilio'), ctx(f.fetch)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CarrierError);
    expect(err).toMatchObject({ retryable, status, carrierCode: String(code), optOut: false });
    expect((err as Error).message).toContain(`code ${code}: nope`);
  });

  it('reports error 21610 as an opt-out that is never retried', async () => {
    const f = recordingFetch(() => jsonResponse(400, { code: 21610, message: 'Attempt to send to unsubscribed recipient', status: 400 }));
    const err = await twilioDriver.send(sms, carrierRow('twilio'), ctx(f.fetch)).catch((e: unknown) => e);
    expect(err).toMatchObject({ optOut: true, retryable: false, carrierCode: '21610' });
  });

  it('reports a network error as retryable', async () => {
    const failing = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const err = await twilioDriver.send(sms, carrierRow('twilio'), ctx(failing)).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true });
    expect((err as Error).message).toContain('network error');
  });

  it('refuses a 2xx answer without a sid, without retry', async () => {
    const f = recordingFetch(() => jsonResponse(201, {}));
    await expect(twilioDriver.send(sms, carrierRow('twilio'), ctx(f.fetch))).rejects.toMatchObject({ retryable: false });
  });
});

describe('twilio verify', () => {
  const url = 'https://gw.example.test/inbound/00000000000000000000000a';
  const form = { MessageSid: 'SM1', From: '+15550001111', To: '+15550002222', Body: 'hi there', NumMedia: '0' };
  const carrier = carrierRow('twilio');
  const request = (sig: string, body = new URLSearchParams(form).toString(), at = url) => ({
    headers: { 'x-twilio-signature': sig, 'content-type': FORM },
    rawBody: Buffer.from(body),
    url: at,
  });

  it('matches the published example signature', () => {
    const params = new Map(
      Object.entries({
        CallSid: ['CA1234567890ABCDE'],
        Caller: ['+14158675310'],
        Digits: ['1234'],
        From: ['+14158675310'],
        To: ['+18005551212'],
      }),
    );
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe('GvWf1cFY/Q7PnoempGyD5oXAezc=');
  });

  it('accepts a valid signature', () => {
    expect(twilioDriver.verify(request(signTwilio(url, form, carrier.password)), carrier)).toBe(true);
  });

  it('accepts a signature made over the URL with its default port', () => {
    const sig = signTwilio('https://gw.example.test:443/inbound/00000000000000000000000a', form, carrier.password);
    expect(twilioDriver.verify(request(sig), carrier)).toBe(true);
  });

  it('refuses a wrong token, a tampered body, another URL and a missing header', () => {
    expect(twilioDriver.verify(request(signTwilio(url, form, 'other')), carrier)).toBe(false);
    const tampered = new URLSearchParams({ ...form, Body: 'hi therE' }).toString();
    expect(twilioDriver.verify(request(signTwilio(url, form, carrier.password), tampered), carrier)).toBe(false);
    expect(twilioDriver.verify(request(signTwilio(url, form, carrier.password), undefined, `${url}?x=1`), carrier)).toBe(false);
    expect(twilioDriver.verify({ ...request(''), headers: { 'content-type': FORM } }, carrier)).toBe(false);
  });

  it('accepts anything when verify_webhooks is off', () => {
    expect(twilioDriver.verify(request('bogus'), { ...carrier, verifyWebhooks: false })).toBe(true);
  });

  it('checks JSON bodies through bodySHA256', () => {
    const body = '{"MessageSid":"SM1","MessageStatus":"delivered"}';
    const hashed = `${url}?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
    const sig = signTwilio(hashed, {}, carrier.password);
    const req = (raw: string) => ({
      headers: { 'x-twilio-signature': sig, 'content-type': 'application/json' },
      rawBody: Buffer.from(raw),
      url: hashed,
    });
    expect(twilioDriver.verify(req(body), carrier)).toBe(true);
    expect(twilioDriver.verify(req(body.replace('delivered', 'failed')), carrier)).toBe(false);
  });
});

describe('twilio parseInbound', () => {
  const carrier = carrierRow('twilio');
  const parse = (fields: Record<string, string>, messageId?: string) =>
    twilioDriver.parseInbound(
      { headers: {}, rawBody: Buffer.from(new URLSearchParams(fields).toString()), contentType: `${FORM}; charset=utf-8`, messageId },
      carrier,
    );

  it('turns an inbound SMS into one message with the whole body and answers empty TwiML', () => {
    const long = 'x'.repeat(400);
    const out = parse({ MessageSid: 'SM9', From: '+15550001111', To: '+15550002222', Body: long, NumMedia: '0', SmsStatus: 'received' });
    expect(out.messages).toEqual([{ from: '+15550001111', to: '+15550002222', text: long, media: [], carrierMsgId: 'SM9' }]);
    expect(out.statuses).toEqual([]);
    expect(out.response).toEqual({ status: 200, contentType: 'application/xml', body: EMPTY_TWIML });
    expect(EMPTY_TWIML).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n</Response>');
  });

  it('lists media parts and skips content types without exactly one slash', () => {
    const out = parse({
      From: '+1555',
      To: '+1666',
      Body: '',
      NumMedia: '3',
      MediaUrl0: 'https://api.twilio.com/m/0',
      MediaContentType0: 'image/jpeg',
      MediaUrl1: 'https://api.twilio.com/m/1',
      MediaContentType1: 'bogus',
      MediaUrl2: 'https://api.twilio.com/m/2',
      MediaContentType2: 'video/mp4',
    });
    expect(out.messages[0].media).toEqual([
      { url: 'https://api.twilio.com/m/0', contentType: 'image/jpeg' },
      { url: 'https://api.twilio.com/m/2', contentType: 'video/mp4' },
    ]);
  });

  it('turns a status callback into a status, with the message id from the callback path', () => {
    const out = parse({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003', SmsStatus: 'undelivered' }, 'msg-1');
    expect(out.messages).toEqual([]);
    expect(out.statuses).toEqual([
      { carrierMsgId: 'SM1', status: 'undelivered', carrierStatus: 'undelivered', messageId: 'msg-1', errorCode: '30003' },
    ]);
    expect(out.response.status).toBe(200);
  });

  it('recognises a status callback posted to the message webhook', () => {
    const out = parse({ MessageSid: 'SM1', MessageStatus: 'delivered' });
    expect(out.statuses).toMatchObject([{ carrierMsgId: 'SM1', status: 'delivered' }]);
  });

  it('answers 400 with a JSON error for a malformed webhook', () => {
    const noFrom = parse({ To: '+1666', Body: 'x' });
    expect(noFrom.response.status).toBe(400);
    expect(JSON.parse(noFrom.response.body)).toHaveProperty('error');
    expect(noFrom.messages).toEqual([]);
    const json = twilioDriver.parseInbound({ headers: {}, rawBody: Buffer.from('{}'), contentType: 'application/json' }, carrier);
    expect(json.response.status).toBe(400);
    expect(parse({ MessageStatus: 'sent' }, 'm').response.status).toBe(400);
  });

  it('maps Twilio statuses (field-notes §5.4)', () => {
    expect(mapTwilioStatus('sent')).toBe('sent');
    expect(mapTwilioStatus('delivered')).toBe('delivered');
    expect(mapTwilioStatus('undelivered')).toBe('undelivered');
    expect(mapTwilioStatus('failed')).toBe('failed');
    expect(mapTwilioStatus('queued')).toBe('queued');
    expect(mapTwilioStatus('received')).toBeUndefined();
    expect(mapTwilioStatus('constructor')).toBeUndefined();
  });

  it("fetches media with Basic SID:token from Twilio's own API hosts", () => {
    const auth = { authorization: `Basic ${Buffer.from(`${carrier.username}:${carrier.password}`).toString('base64')}` };
    for (const url of [
      'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1',
      'https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1',
      'https://API.Twilio.com:443/x',
    ]) {
      expect(twilioDriver.mediaAuth(carrier, url), url).toEqual(auth);
    }
    // A row pointed at another endpoint (a regional one, a test double) trusts that origin too.
    const local = carrierRow('twilio', { apiBaseUrl: 'http://127.0.0.1:5555/' });
    expect(twilioDriver.mediaAuth(local, 'http://127.0.0.1:5555/media/MM1')).toHaveProperty('authorization');
    expect(twilioDriver.mediaAuth(local, 'http://127.0.0.1:5556/media/MM1')).toEqual({});
  });

  it('sends its credentials to no other host a webhook names', () => {
    for (const url of [
      'https://attacker.example/Media/ME1',
      'http://api.twilio.com/2010-04-01/x',
      'https://api.twilio.com.attacker.example/x',
      'https://attacker.example/?u=https://api.twilio.com/',
      'https://api.twilio.com@attacker.example/x',
      'https://u:p@api.twilio.com/x',
      'https://api.twilio.com:8443/x',
      'https://twilio.com.attacker.example/x',
      'https://evil-twilio.com/x',
      'https://media.twiliocdn.com/x',
      'ftp://api.twilio.com/x',
      'not a url',
      '',
    ]) {
      expect(twilioDriver.mediaAuth(carrier, url), url).toEqual({});
    }
  });
});
