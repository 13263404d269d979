import { describe, expect, it } from 'vitest';
import { carrierRow } from '../../test/support/carrier-rows.js';
import { jsonResponse, recordingFetch, type FetchCall } from '../../test/support/fake-fetch.js';
import { onevoiceplusDriver, ovpFileType } from './onevoiceplus.js';
import type { OutboundMessage } from './types.js';

const BASE = 'https://api.telus.com/rest/v0/OneVoiceDIDMessaging_vs0/v1';
const sms: OutboundMessage = { id: 'm1', type: 'sms', from: '+15550001111', to: '+15550002222', text: 'hello', mediaUrls: [] };
const mms: OutboundMessage = {
  ...sms,
  type: 'mms',
  text: 'look',
  mediaUrls: ['https://gw.test/media/tok1', 'https://gw.test/media/tok2', 'https://gw.test/media/smil'],
};
const ctx = (fetch: typeof globalThis.fetch) => ({ fetch, signal: new AbortController().signal, statusCallbackUrl: '' });

/** Serves the media URLs and answers the OVP API. */
function ovpResponder(call: FetchCall): Response {
  if (call.url.endsWith('/tok1')) return new Response(Buffer.from([1, 2, 3]), { headers: { 'content-type': 'image/jpeg' } });
  if (call.url.endsWith('/tok2')) return new Response('abc', { headers: { 'content-type': 'audio/amr; x=1' } });
  if (call.url.endsWith('/smil')) return new Response('<smil/>', { headers: { 'content-type': 'application/smil' } });
  if (call.url.endsWith('/media/assets')) return jsonResponse(201, { mediaId: `mid-${JSON.parse(call.body).controlPart.fileName}` });
  return new Response('', { status: 200 });
}

describe('onevoiceplus send', () => {
  it('posts source, destination and messageText with the developer key', async () => {
    const f = recordingFetch(() => new Response('', { status: 200 }));
    const carrier = carrierRow('onevoiceplus');
    const out = await onevoiceplusDriver.send(sms, carrier, ctx(f.fetch));
    expect(out.carrierMsgId).toBe('');
    expect(f.calls[0].url).toBe(`${BASE}/sms/outbound`);
    expect(f.calls[0].headers['x-telus-sdf-developer-key']).toBe(carrier.password);
    expect(JSON.parse(f.calls[0].body)).toEqual({ source: sms.from, destination: sms.to, messageText: 'hello' });
  });

  it('fetches each part, uploads it, then sends the media ids with the text', async () => {
    const f = recordingFetch(ovpResponder);
    await onevoiceplusDriver.send(mms, carrierRow('onevoiceplus', { apiBaseUrl: 'http://127.0.0.1:9/' }), ctx(f.fetch));
    const posts = f.calls.filter((c) => c.method === 'POST');
    expect(posts.map((c) => c.url)).toEqual([
      'http://127.0.0.1:9/media/assets',
      'http://127.0.0.1:9/media/assets',
      'http://127.0.0.1:9/mms/outbound',
    ]);
    expect(JSON.parse(posts[0].body)).toEqual({
      controlPart: { fileName: 'tok1', fileType: 'image' },
      mediaPart: { contentType: 'application/octet-stream', mediaContent: Buffer.from([1, 2, 3]).toString('base64') },
    });
    expect(JSON.parse(posts[1].body).controlPart).toEqual({ fileName: 'tok2', fileType: 'audio' });
    expect(JSON.parse(posts[2].body)).toEqual({
      source: sms.from,
      destination: sms.to,
      mediaId: ['mid-tok1', 'mid-tok2'],
      messageText: 'look',
    });
  });

  it('refuses an MMS whose parts are all SMIL, without retry', async () => {
    const f = recordingFetch(ovpResponder);
    const err = await onevoiceplusDriver
      .send({ ...mms, mediaUrls: ['https://gw.test/media/smil'] }, carrierRow('onevoiceplus'), ctx(f.fetch))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: false, message: 'no media files to send via OneVoicePlus MMS' });
  });

  it('refuses an upload answer without mediaId', async () => {
    const f = recordingFetch((c) => (c.url.endsWith('/media/assets') ? jsonResponse(200, {}) : ovpResponder(c)));
    await expect(onevoiceplusDriver.send(mms, carrierRow('onevoiceplus'), ctx(f.fetch))).rejects.toMatchObject({ retryable: false });
  });

  it('classifies a failed media fetch by its status', async () => {
    const gone = recordingFetch(() => new Response('gone', { status: 404 }));
    await expect(onevoiceplusDriver.send(mms, carrierRow('onevoiceplus'), ctx(gone.fetch))).rejects.toMatchObject({
      retryable: false,
      status: 404,
    });
    const busy = recordingFetch(() => new Response('busy', { status: 503 }));
    await expect(onevoiceplusDriver.send(sms, carrierRow('onevoiceplus'), ctx(busy.fetch))).rejects.toMatchObject({
      retryable: true,
      status: 503,
    });
  });

  it('derives fileType from the content type', () => {
    expect(ovpFileType('image/png')).toBe('image');
    expect(ovpFileType('video/3gpp')).toBe('video');
    expect(ovpFileType('audio/amr')).toBe('audio');
    expect(ovpFileType('application/pdf')).toBe('file');
  });
});

describe('onevoiceplus verify', () => {
  const carrier = carrierRow('onevoiceplus', { publicKey: 's3cret-token' });
  const req = (headers: Record<string, string>, url = 'https://gw/inbound/u') => ({ headers, rawBody: Buffer.from('{}'), url });

  it('accepts the shared token in the header or the query', () => {
    expect(onevoiceplusDriver.verify(req({ 'X-OVP-Webhook-Token': 's3cret-token' }), carrier)).toBe(true);
    expect(onevoiceplusDriver.verify(req({}, 'https://gw/inbound/u?token=s3cret-token'), carrier)).toBe(true);
  });

  it('refuses a wrong or missing token', () => {
    expect(onevoiceplusDriver.verify(req({ 'x-ovp-webhook-token': 'nope' }), carrier)).toBe(false);
    expect(onevoiceplusDriver.verify(req({}), carrier)).toBe(false);
  });

  it('takes webhooks unsigned when no token is configured (as gomsggw did) or verification is off', () => {
    expect(onevoiceplusDriver.verify(req({}), { ...carrier, publicKey: '' })).toBe(true);
    expect(onevoiceplusDriver.verify(req({}), { ...carrier, verifyWebhooks: false })).toBe(true);
  });
});

describe('onevoiceplus parseInbound', () => {
  const carrier = carrierRow('onevoiceplus');
  const parse = (body: string, contentType = 'application/json') =>
    onevoiceplusDriver.parseInbound({ headers: {}, rawBody: Buffer.from(body), contentType }, carrier);

  it('turns {messageId, from, to, message} into one message', () => {
    const out = parse(JSON.stringify({ messageId: 'o-1', from: '+15550001111', to: '+15550002222', message: 'hey' }));
    expect(out.messages).toEqual([{ from: '+15550001111', to: '+15550002222', text: 'hey', media: [], carrierMsgId: 'o-1' }]);
    expect(out.response.status).toBe(200);
  });

  it('reads form bodies too, and routes nothing for a blank message', () => {
    expect(parse('from=%2B1555&to=%2B1666&message=yo', 'application/x-www-form-urlencoded').messages[0].text).toBe('yo');
    expect(parse(JSON.stringify({ from: '+1', to: '+2', message: '  ' }))).toMatchObject({ messages: [], response: { status: 200 } });
  });

  it('answers 400 for malformed bodies or missing numbers', () => {
    for (const bad of ['nope', '[1]', JSON.stringify({ from: '+1', message: 'x' })]) {
      const out = parse(bad);
      expect(out.response.status).toBe(400);
      expect(JSON.parse(out.response.body)).toHaveProperty('error');
      expect(out.messages).toEqual([]);
    }
  });
});
