import { describe, expect, it } from 'vitest';
import type { Egress } from '../../proto/message.js';
import { legsFor, textPreview, unroutedLeg, type LegContext } from './legs.js';

const ctx: LegContext = { serverId: 'n1', clientType: () => 'legacy', logPrivacy: () => false };
const message: Egress['message'] = {
  v: 1,
  id: 'm1',
  type: 'sms',
  from: '+15550000001',
  to: '+15550000002',
  text: 'hello',
  media: [],
  origin: { kind: 'smpp', clientId: 1, node: 'n1' },
  receivedAt: 0,
  notice: false,
  smpp: { registeredDelivery: 17, partIds: ['m1', 'm2'] },
};

describe('legs: SMPP receipt details', () => {
  it("keep the submit's registered_delivery and part ids on every leg", () => {
    const legs = legsFor({ v: 1, message, route: { kind: 'smpp', clientId: 2 }, senderClientId: 1, receiverClientId: 2 }, ctx, 'queued');
    expect(legs.map((l) => [l.direction, l.registeredDelivery, l.smppPartIds])).toEqual([
      ['outbound', 17, ['m1', 'm2']],
      ['inbound', 17, ['m1', 'm2']],
    ]);
    expect(unroutedLeg(message, 1, ctx, 'rejected', 'no route')).toMatchObject({ registeredDelivery: 17, smppPartIds: ['m1', 'm2'] });
  });

  it('default to no receipt for messages that did not come over SMPP', () => {
    const leg = unroutedLeg({ ...message, smpp: undefined }, 1, ctx, 'rejected', 'no route');
    expect(leg).toMatchObject({ registeredDelivery: 0, smppPartIds: [] });
  });
});

describe('legs: text preview', () => {
  it('keeps the first 20 characters', () => {
    expect(textPreview('abcdefghijklmnopqrstuvwxyz')).toBe('abcdefghijklmnopqrst');
    expect(textPreview('short')).toBe('short');
  });

  it('never ends in half of an emoji cut at the 20th character', () => {
    const preview = textPreview(`${'a'.repeat(19)}\u{1F600} and more`);
    expect(preview).toBe('a'.repeat(19));
    expect(textPreview(`${'a'.repeat(18)}\u{1F600}b`)).toBe(`${'a'.repeat(18)}\u{1F600}`);
  });
});

describe('legs: failover', () => {
  const failedOver: Egress = {
    v: 1,
    message,
    route: { kind: 'smpp', clientId: 3 },
    senderClientId: 1,
    receiverClientId: 3,
    failoverFrom: 2,
  };

  it('name the failover client as the receiver and say whose message it was', () => {
    const legs = legsFor(failedOver, { ...ctx, clientName: (id) => (id === 2 ? 'pbx-main' : undefined) }, 'delivered');
    expect(legs.map((l) => [l.direction, l.clientId, l.error])).toEqual([
      ['outbound', 1, 'failover from client 2 (pbx-main)'],
      ['inbound', 3, 'failover from client 2 (pbx-main)'],
    ]);
  });

  it("let a stage's own error take the place of the note", () => {
    expect(legsFor(failedOver, ctx, 'failed', { error: 'deliver_sm refused' })[1]!.error).toBe('deliver_sm refused');
    expect(legsFor(failedOver, ctx, 'queued')[1]!.error).toBe('failover from client 2');
  });
});
