import { describe, expect, it } from 'vitest';
import { deliveryJobCodec } from '../../proto/delivery.js';
import type { Egress } from '../../proto/message.js';
import { subjects as makeSubjects } from '../../proto/subjects.js';
import type { LegContext } from '../records/index.js';
import type { ClientDetails } from '../store/index.js';
import { reportDelivered } from './delivered.js';
import { client, msg } from '../../test/support/router-fixtures.js';

const subjects = makeSubjects('sf');
const legs: LegContext = { serverId: 'n1', clientType: () => 'legacy', logPrivacy: (id) => id === 9 };

function bus() {
  const published: Array<{ subject: string; job: ReturnType<typeof deliveryJobCodec.decode>; msgId?: string }> = [];
  return {
    published,
    publishDurable: async (subject: string, data: Uint8Array, opts?: { msgId?: string }) => {
      published.push({ subject, job: deliveryJobCodec.decode(data), msgId: opts?.msgId });
      return { stream: 's', seq: published.length, duplicate: false };
    },
  };
}

/** An internal message from `sender` (owner of +15550000001) to client 2 over SMPP. */
function egress(sender: number, extra: Partial<Egress['message']> = {}): Egress {
  return {
    v: 1,
    route: { kind: 'smpp', clientId: 2 },
    senderClientId: sender,
    receiverClientId: 2,
    message: msg({
      id: 'm7',
      from: '+15550000001',
      to: '+15550000002',
      text: 'a text longer than twenty characters',
      receivedAt: 1_000,
      ...extra,
    }),
  };
}

async function report(sender: ClientDetails, e = egress(sender.id)) {
  const b = bus();
  await reportDelivered(e, subjects, { bus: b, legs, client: (id) => (id === sender.id ? sender : undefined) });
  return b.published;
}

describe('reportDelivered (an internal message reached its receiver)', () => {
  it('hands an SMPP sender that asked for a receipt a complete receipt job, without the status router', async () => {
    const sender = client(1, 'legacy', [{ number: '+15550000001' }]);
    const published = await report(sender, egress(1, { smpp: { registeredDelivery: 1, partIds: ['p1', 'p2'] } }));
    expect(published).toHaveLength(1);
    expect(published[0]!.subject).toBe(subjects.msgOutSmpp(1));
    expect(published[0]!.msgId).toBe('m7:dlr:delivered');
    expect(published[0]!.job).toMatchObject({
      kind: 'status',
      clientId: 1,
      event: {
        messageId: 'm7',
        status: 'delivered',
        clientId: 1,
        from: '+15550000001',
        to: '+15550000002',
        submittedAt: 1_000,
        registeredDelivery: 1,
        partIds: ['p1', 'p2'],
        textPreview: 'a text longer than t',
      },
    });
  });

  it('gives an SMPP sender that asked for no receipt nothing, so no job waits for its bind', async () => {
    expect(await report(client(1, 'legacy', [{ number: '+15550000001' }]))).toEqual([]);
    expect(await report(client(1, 'legacy', []), egress(1, { smpp: { registeredDelivery: 2 } }))).toEqual([]);
  });

  it('gives a web sender a status webhook job when its number or its settings name a webhook, else nothing', async () => {
    expect(await report(client(3, 'web', [{ number: '+15550000001' }]), egress(3))).toEqual([]);
    const byNumber = await report(client(3, 'web', [{ number: '+15550000001', webhook: 'https://a.example/s' }]), egress(3));
    expect(byNumber.map((p) => p.subject)).toEqual([subjects.msgOutWebhook(3)]);
    const byDefault = await report(client(3, 'web', [{ number: '+15550000001' }], 'https://a.example/d'), egress(3));
    expect(byDefault.map((p) => p.subject)).toEqual([subjects.msgOutWebhook(3)]);
    const bicom = client(3, 'web', [{ number: '+15550000001' }], 'https://a.example/d');
    bicom.settings = { ...bicom.settings!, apiFormat: 'bicom' };
    expect(await report(bicom, egress(3))).toEqual([]);
  });

  it('sends an MMS sender its report on the MM4 egress, and keeps the preview out when the sender has log privacy', async () => {
    const published = await report(client(9, 'legacy', []), egress(9, { type: 'mms', smpp: { registeredDelivery: 1 } }));
    expect(published.map((p) => p.subject)).toEqual([subjects.msgOutMm4(9)]);
    expect(published[0]!.job).toMatchObject({ event: { textPreview: '' } });
  });

  it('says nothing for a notice, a sender that is gone, or a message from a carrier', async () => {
    const sender = client(1, 'legacy', []);
    expect(await report(sender, egress(1, { notice: true, smpp: { registeredDelivery: 1 } }))).toEqual([]);
    const b = bus();
    await reportDelivered(egress(1, { smpp: { registeredDelivery: 1 } }), subjects, { bus: b, legs, client: () => undefined });
    await reportDelivered({ ...egress(1), senderClientId: undefined }, subjects, { bus: b, legs, client: () => sender });
    expect(b.published).toEqual([]);
  });
});
