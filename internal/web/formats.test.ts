import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, ValidationError } from '../errors/index.js';
import type { ClientDetails } from '../store/index.js';
import { acceptedAnswer, apiFormatOf, parseSendRequest } from './formats.js';
import {
  DEFAULT_MEDIA_TYPE,
  INLINE_MEDIA_UNSUPPORTED,
  INVALID_BASE64,
  MAX_MEDIA_ITEMS,
  guessContentType,
  mediaRefs,
} from './media-refs.js';

const noMedia = { url: '', content: '', contentType: '', filename: '' };

describe('parseSendRequest', () => {
  it('reads the generic shape, media items included', () => {
    const request = parseSendRequest('generic', {
      client_id: 7,
      from: '+12505551234',
      to: '+14155559876',
      text: 'hi',
      extra: true,
      media: [{ url: 'https://x.test/a.png', content_type: 'image/png', filename: 'a.png' }],
    });
    expect(request).toEqual({
      clientId: 7,
      from: '+12505551234',
      to: '+14155559876',
      text: 'hi',
      media: [{ url: 'https://x.test/a.png', content: '', contentType: 'image/png', filename: 'a.png' }],
    });
  });

  it('reads the bicom shape with media_urls', () => {
    expect(parseSendRequest('bicom', { from: '1', to: '2', text: 't', media_urls: ['https://x.test/b.jpg'] })).toEqual({
      clientId: 0,
      from: '1',
      to: '2',
      text: 't',
      media: [{ ...noMedia, url: 'https://x.test/b.jpg' }],
    });
  });

  it('reads the telnyx shape, first recipient only, and a plain string `to`', () => {
    const body = (to: unknown) => ({
      data: {
        event_type: 'message.sent',
        payload: { from: { phone_number: '+1' }, to, text: 'x', media: [{ url: 'https://m.test/c', content_type: 'image/gif' }] },
      },
    });
    const request = parseSendRequest('telnyx', body([{ phone_number: '+2' }, { phone_number: '+3' }]));
    expect(request).toMatchObject({ from: '+1', to: '+2', text: 'x', media: [{ url: 'https://m.test/c', contentType: 'image/gif' }] });
    expect(parseSendRequest('telnyx', body('+4')).to).toBe('+4');
    expect(parseSendRequest('telnyx', {}).to).toBe('');
  });

  it('treats null as absent and refuses fields of the wrong type', () => {
    expect(parseSendRequest('generic', { to: '+1', text: null, media: null })).toMatchObject({ text: '', media: [] });
    expect(() => parseSendRequest('generic', { to: 5 })).toThrow(ValidationError);
    expect(() => parseSendRequest('bicom', [])).toThrow('Request body must be a JSON object');
  });
});

describe('formats', () => {
  const client = (apiFormat?: string) => ({ settings: apiFormat ? { apiFormat } : null }) as unknown as ClientDetails;

  it('treats a client without settings as generic', () => {
    expect(apiFormatOf(client())).toBe('generic');
    expect(apiFormatOf(client('bicom'))).toBe('bicom');
  });

  it('answers bicom 200 success and the others 202 queued with the id', () => {
    expect(acceptedAnswer('bicom', 'x')).toEqual({ status: 200, body: { status: 'success', message: '' } });
    expect(acceptedAnswer('telnyx', 'x')).toEqual({ status: 202, body: { status: 'queued', id: 'x' } });
  });
});

describe('mediaRefs', () => {
  it('keeps the given type and name, else guesses them from the URL', async () => {
    expect(
      await mediaRefs([
        { ...noMedia, url: 'https://x.test/p/photo.JPG?sig=1' },
        { ...noMedia, url: 'https://x.test/blob', contentType: 'Image/PNG', filename: 'pic.png' },
        { ...noMedia, url: 'https://x.test/raw' },
      ]),
    ).toEqual([
      { url: 'https://x.test/p/photo.JPG?sig=1', contentType: 'image/jpeg', filename: 'photo.JPG' },
      { url: 'https://x.test/blob', contentType: 'image/png', filename: 'pic.png' },
      { url: 'https://x.test/raw', contentType: DEFAULT_MEDIA_TYPE, filename: 'raw' },
    ]);
    expect(guessContentType('clip.3gp')).toBe('video/3gpp');
  });

  it('skips empty items, refuses inline content without a store, bad URLs and too many parts', async () => {
    expect(await mediaRefs([noMedia])).toEqual([]);
    await expect(mediaRefs([{ ...noMedia, content: 'aGk=' }])).rejects.toThrow(INLINE_MEDIA_UNSUPPORTED);
    await expect(mediaRefs([{ ...noMedia, url: 'ftp://x.test/a' }])).rejects.toThrow(ValidationError);
    const many = Array.from({ length: MAX_MEDIA_ITEMS + 1 }, (_, i) => ({ ...noMedia, url: `https://x.test/${i}.png` }));
    await expect(mediaRefs(many)).rejects.toThrow(/Too many media items/);
  });

  const sink = () => {
    const puts: Array<{ bytes: Buffer; contentType: string; filename?: string }> = [];
    return {
      puts,
      maxBytes: 1024,
      get: async () => undefined,
      put: async (input: { bytes: Buffer; contentType: string; filename?: string }) => {
        puts.push(input);
        return {
          token: `t${puts.length}`,
          url: `https://gw.test/media/t${puts.length}.png`,
          contentType: input.contentType,
          filename: input.filename || 'media.png',
          sizeBytes: input.bytes.length,
        };
      },
    };
  };

  it('stores base64 content and data: URLs, and the message carries tokens', async () => {
    const store = sink();
    const refs = await mediaRefs(
      [
        { ...noMedia, content: 'aGVs\nbG8=', contentType: 'image/png', filename: 'a.png' },
        { ...noMedia, url: 'data:image/png;base64,aGk=' },
      ],
      store,
    );
    expect(store.puts.map((p) => [p.bytes.toString(), p.contentType])).toEqual([
      ['hello', 'image/png'],
      ['hi', 'image/png'],
    ]);
    expect(refs[0]).toEqual({
      url: 'https://gw.test/media/t1.png',
      token: 't1',
      contentType: 'image/png',
      filename: 'a.png',
      sizeBytes: 5,
    });
    expect(refs[1]!.token).toBe('t2');
  });

  it('refuses invalid base64 before storing anything', async () => {
    const store = sink();
    await expect(
      mediaRefs(
        [
          { ...noMedia, content: 'aGk=', contentType: 'image/png' },
          { ...noMedia, content: 'not base64!' },
        ],
        store,
      ),
    ).rejects.toThrow(INVALID_BASE64);
    expect(store.puts).toEqual([]);
  });

  it("refuses a part over the store's maximum (413) before storing any of the others", async () => {
    const store = sink();
    const err = await mediaRefs(
      [
        { ...noMedia, content: 'aGk=', contentType: 'image/png' },
        { ...noMedia, content: Buffer.alloc(store.maxBytes + 1).toString('base64'), contentType: 'image/png', filename: 'big.png' },
      ],
      store,
    ).catch((e: unknown) => e);
    expect(store.puts).toEqual([]);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as Error).message).toBe('media big.png is 1025 bytes; at most 1024 bytes are accepted');
  });
});
