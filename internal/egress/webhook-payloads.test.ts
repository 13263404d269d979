import { describe, expect, it } from 'vitest';
import { messageSchema, type Egress } from '../../proto/message.js';
import type { ClientDetails } from '../store/index.js';
import { messagePayload } from './webhook-payloads.js';

const client = { id: 7, username: 'web', numbers: [{ number: '+12505551234', tag: 'support', group: '' }] } as unknown as ClientDetails;

const mms: Egress = {
  v: 1,
  route: { kind: 'webhook', clientId: 7, url: 'https://hooks.example/in' },
  receiverClientId: 7,
  message: messageSchema.parse({
    v: 1,
    id: 'm1',
    type: 'mms',
    from: '+14155559876',
    to: '+12505551234',
    text: 'look',
    receivedAt: Date.UTC(2026, 0, 6),
    origin: { kind: 'carrier', carrierId: 1, node: 'n1' },
    media: [
      { token: 't1', url: 'https://gw.example/media/t1.jpg', contentType: 'image/jpeg', filename: 'a.jpg', sizeBytes: 3 },
      { token: 't2', url: 'https://gw.example/media/t2.png', contentType: 'image/png', filename: 'b.png', sizeBytes: 9 },
    ],
  }),
};

describe('messagePayload', () => {
  it("gives each generic media item gomsggw's filename, content_type and base64, with our URL beside them", () => {
    const body = messagePayload('generic', mms, client, new Map([[0, 'AQID']])) as Record<string, unknown>;
    expect(body).toEqual({
      id: 'm1',
      from: '+14155559876',
      to: '+12505551234',
      text: 'look',
      type: 'mms',
      timestamp: '2026-01-06T00:00:00.000Z',
      tag: 'support',
      media: [
        { filename: 'a.jpg', content_type: 'image/jpeg', base64: 'AQID', url: 'https://gw.example/media/t1.jpg' },
        { filename: 'b.png', content_type: 'image/png', url: 'https://gw.example/media/t2.png' },
      ],
    });
  });

  it('sends a generic item without base64 when nothing was inlined', () => {
    const body = messagePayload('generic', mms, client) as { media: Array<Record<string, unknown>> };
    expect(body.media.every((item) => !('base64' in item) && typeof item.url === 'string')).toBe(true);
  });

  it('leaves the bicom and telnyx formats as they were, inlined media or not', () => {
    const inline = new Map([
      [0, 'AQID'],
      [1, 'BAUG'],
    ]);
    expect(messagePayload('bicom', mms, client, inline)).toEqual({
      from: '+14155559876',
      to: '+12505551234',
      text: 'look',
      media_urls: ['https://gw.example/media/t1.jpg', 'https://gw.example/media/t2.png'],
    });
    const telnyx = messagePayload('telnyx', mms, client, inline) as { data: { payload: { media: unknown[] } } };
    expect(telnyx.data.payload.media).toEqual([
      { url: 'https://gw.example/media/t1.jpg', content_type: 'image/jpeg', size: 3 },
      { url: 'https://gw.example/media/t2.png', content_type: 'image/png', size: 9 },
    ]);
    expect(JSON.stringify(telnyx)).not.toContain('base64');
  });
});
