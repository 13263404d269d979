/** GET /messages/history (upstream §5.9): filters, pagination, headers, gomsggw's record keys. */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../../internal/store/index.js';
import type { MessagesApi, WebClient } from './harness.js';

function record(clientId: number, overrides: Partial<MessageRecord>): MessageRecord {
  const messageId = overrides.messageId ?? randomUUID();
  return {
    messageId,
    clientId,
    direction: 'outbound',
    to: '+14155550001',
    from: '+12505550001',
    receivedTimestamp: new Date('2024-05-01T12:00:00Z'),
    type: 'sms',
    carrier: '',
    carrierId: 0,
    internal: false,
    logId: messageId,
    serverId: 'node-a',
    fromClientType: 'web',
    toClientType: 'carrier',
    deliveryMethod: 'carrier_api',
    sourceIp: '',
    encoding: 'gsm7',
    totalSegments: 1,
    originalBytesLength: 5,
    originalSizeBytes: 0,
    transcodedSizeBytes: 0,
    mediaCount: 0,
    transcodingPerformed: false,
    status: 'queued',
    carrierMsgId: '',
    error: '',
    textPreview: 'hello',
    ...overrides,
  };
}

export function historyTests(api: () => MessagesApi): void {
  describe('GET /messages/history', () => {
    let c: WebClient;
    const get = (query = '', auth = c.basic) => api().request('GET', `/messages/history${query}`, undefined, { auth });
    const ids = (res: { body: any }) => (res.body.messages as Array<{ log_id: string }>).map((m) => m.log_id);

    beforeAll(async () => {
      c = await api().client();
      const other = await api().client();
      const day = (d: number, h = 12) => new Date(Date.UTC(2024, 4, d, h));
      await api().store.records.upsertMany([
        record(c.id, { logId: 'a', receivedTimestamp: day(1), to: '+14155550001', type: 'sms', direction: 'outbound' }),
        record(c.id, {
          logId: 'b',
          receivedTimestamp: day(2),
          to: '+14155550002',
          type: 'mms',
          direction: 'outbound',
          carrier: 'telnyx',
          carrierId: 3,
          status: 'delivered',
          carrierMsgId: 'tx-1',
          sourceIp: '198.51.100.7',
          mediaCount: 2,
          originalSizeBytes: 2048,
        }),
        record(c.id, {
          logId: 'c',
          receivedTimestamp: day(3, 0),
          from: '+14155550009',
          to: '+12505550001',
          type: 'sms',
          direction: 'inbound',
          fromClientType: 'carrier',
          toClientType: 'web',
          deliveryMethod: 'webhook',
        }),
        record(c.id, { logId: 'd', receivedTimestamp: day(3, 23), to: '+14155550001', status: 'failed', error: 'carrier refused' }),
        record(other.id, { logId: 'other', receivedTimestamp: day(2) }),
      ]);
    });

    it("lists the caller's records newest first, with pagination headers and gomsggw's keys", async () => {
      const res = await get();
      expect(res.status, res.text).toBe(200);
      expect(ids(res)).toEqual(['d', 'c', 'b', 'a']);
      expect(res.body).toMatchObject({ total_count: 4, page: 1, per_page: 50 });
      expect(res.headers.get('x-total-count')).toBe('4');
      expect(res.headers.get('x-page')).toBe('1');
      expect(res.headers.get('x-per-page')).toBe('50');
      const b = res.body.messages[2];
      expect(b).toEqual({
        id: expect.any(Number),
        client_id: c.id,
        to_number: '+14155550002',
        from_number: '+12505550001',
        received_timestamp: '2024-05-02T12:00:00.000Z',
        type: 'mms',
        internal: false,
        log_id: 'b',
        server_id: 'node-a',
        direction: 'outbound',
        from_client_type: 'web',
        to_client_type: 'carrier',
        delivery_method: 'carrier_api',
        total_segments: 1,
        carrier: 'telnyx',
        source_ip: '198.51.100.7',
        encoding: 'gsm7',
        original_bytes_length: 5,
        original_size_bytes: 2048,
        media_count: 2,
        message_id: expect.any(String),
        status: 'delivered',
        carrier_message_id: 'tx-1',
      });
      expect(res.body.messages[0]).toMatchObject({ status: 'failed', error: 'carrier refused' });
      expect(res.body.messages[0]).not.toHaveProperty('text_preview');
    });

    it.each([
      ['?to=%2B14155550001', ['d', 'a']],
      ['?to=14155550001', ['d', 'a']],
      ['?to=+14155550001', ['d', 'a']],
      ['?from=14155550009', ['c']],
      ['?from=%2B1%20(250)%20555-0001', ['d', 'b', 'a']],
      ['?type=mms', ['b']],
      ['?direction=inbound', ['c']],
      ['?since=2024-05-02', ['d', 'c', 'b']],
      ['?until=2024-05-02', ['b', 'a']],
      ['?since=2024-05-03&until=2024-05-03', ['d', 'c']],
      ['?since=2024-05-02T12:00:00Z&until=2024-05-03T00:00:00Z', ['c', 'b']],
      ['?since=2024-05-02T14:00:00%2B02:00', ['d', 'c', 'b']],
      ['?type=sms&direction=outbound&to=14155550001&since=2024-05-02', ['d']],
    ])('filters %s', async (query, expected) => {
      const res = await get(query);
      expect(res.status, res.text).toBe(200);
      expect(ids(res)).toEqual(expected);
      expect(res.body.total_count).toBe(expected.length);
    });

    it('pages, capping per_page at 200', async () => {
      const second = await get('?per_page=3&page=2');
      expect(ids(second)).toEqual(['a']);
      expect(second.body).toMatchObject({ total_count: 4, page: 2, per_page: 3 });
      expect(second.headers.get('x-per-page')).toBe('3');
      const capped = await get('?per_page=5000&page=0');
      expect(capped.body).toMatchObject({ page: 1, per_page: 200 });
      const beyond = await get('?page=9');
      expect(beyond.body).toMatchObject({ messages: [], total_count: 4, page: 9 });
    });

    it('answers 400 for an unknown type or direction and an unreadable date', async () => {
      for (const query of ['?type=fax', '?direction=sideways', '?since=last-week', '?until=2024-13-01']) {
        const res = await get(query);
        expect(res.status, query).toBe(400);
        expect(res.body.error).toMatch(/^Invalid /);
      }
    });

    it('needs client auth', async () => {
      const res = await api().request('GET', '/messages/history');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'Authentication required' });
    });
  });
}
