import { describe, expect, it } from 'vitest';
import { statusCodec, type StatusEvent } from '../../proto/status.js';
import { subjects } from '../../proto/subjects.js';
import { publishStatus, statusDedupKey } from './status-publish.js';

const s = subjects('');
const event = (e: Partial<StatusEvent>): StatusEvent =>
  ({ v: 1, messageId: 'm1', status: 'delivered', from: '', to: '', at: 0, ...e }) as StatusEvent;

function recorder() {
  const published: Array<{ subject: string; msgId?: string; event: StatusEvent }> = [];
  const bus = {
    publishDurable: async (subject: string, data: Uint8Array, opts?: { msgId?: string }) => {
      published.push({ subject, msgId: opts?.msgId, event: statusCodec.decode(data) });
      return { seq: published.length, duplicate: false };
    },
  };
  return { bus, published };
}

describe('publishStatus', () => {
  it('stores a gateway status under the message id, once per status', async () => {
    const { bus, published } = recorder();
    await publishStatus(bus as never, s, event({ status: 'failed' }));
    expect(published).toEqual([
      { subject: s.status('m1'), msgId: 'm1:status:failed', event: expect.objectContaining({ status: 'failed' }) },
    ]);
  });

  it("keys a carrier's status by the carrier and its id, and routes by the carrier's id when it names only that", async () => {
    const { bus, published } = recorder();
    await publishStatus(bus as never, s, event({ messageId: '', carrierId: 3, carrierMsgId: 'tx-9', status: 'sent' }));
    expect(published[0]).toMatchObject({ subject: s.status('tx-9'), msgId: '3:tx-9:sent' });
    expect(statusDedupKey(event({ carrierId: 3, carrierMsgId: '' }))).toBe('3:m1:delivered');
  });

  it('refuses an event that names no message', async () => {
    const { bus } = recorder();
    await expect(publishStatus(bus as never, s, event({ messageId: '' }))).rejects.toThrow(RangeError);
  });
});
