import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import { carrier, client, msg, view } from '../../test/support/router-fixtures.js';

const legacy = client(1, 'legacy', [{ number: '+12505551234', carrier: 'telnyx-prod' }]);
const web = client(
  2,
  'web',
  [{ number: '+14155550100', webhook: 'https://hooks.test/n' }, { number: '+14155550101' }],
  'https://hooks.test/default',
);
const routing = view([legacy, web], [carrier(7, 'telnyx-prod', 'telnyx'), carrier(8, 'twilio-a', 'twilio')]);

describe('decide', () => {
  it('sends a client message to an external number through the carrier its number names', () => {
    const d = decide(msg({ from: '+1 250 555 1234', to: '1-415-555-9999', origin: { kind: 'smpp', clientId: 1, node: 'n' } }), routing);
    expect(d).toMatchObject({
      kind: 'route',
      egress: {
        route: { kind: 'carrier', carrierId: 7, carrierName: 'telnyx-prod' },
        senderClientId: 1,
        message: { from: '+12505551234', to: '+14155559999' },
      },
    });
  });

  it('refuses a sender that does not own its from number', () => {
    const d = decide(msg({ from: '+14155550100', to: '+14155559999', origin: { kind: 'smpp', clientId: 1, node: 'n' } }), routing);
    expect(d).toMatchObject({ kind: 'reject', code: 'FORBIDDEN', senderClientId: 1 });
  });

  it('matches numbers exactly, never by substring', () => {
    const d = decide(msg({ from: '+12505551234', to: '+1415555010', origin: { kind: 'smpp', clientId: 1, node: 'n' } }), routing);
    expect(d).toMatchObject({ kind: 'route', egress: { route: { kind: 'carrier' } } });
  });

  it('delivers to a web client at the number webhook, else the client default', () => {
    const a = decide(msg({ from: '+12505551234', to: '+14155550100', origin: { kind: 'smpp', clientId: 1, node: 'n' } }), routing);
    expect(a).toMatchObject({
      kind: 'route',
      egress: { route: { kind: 'webhook', clientId: 2, url: 'https://hooks.test/n' }, senderClientId: 1, receiverClientId: 2 },
    });
    const b = decide(msg({ from: '+12505551234', to: '+14155550101', origin: { kind: 'smpp', clientId: 1, node: 'n' } }), routing);
    expect(b).toMatchObject({ kind: 'route', egress: { route: { url: 'https://hooks.test/default' } } });
  });

  it('delivers SMS to a legacy client over SMPP and MMS over MM4, from a carrier', () => {
    const origin = { kind: 'carrier' as const, carrierId: 7, node: 'n' };
    expect(decide(msg({ from: '+19995550000', to: '+12505551234', origin }), routing)).toMatchObject({
      kind: 'route',
      egress: { route: { kind: 'smpp', clientId: 1 }, receiverClientId: 1 },
    });
    expect(decide(msg({ type: 'mms', from: '+19995550000', to: '+12505551234/TYPE=PLMN', origin }), routing)).toMatchObject({
      kind: 'route',
      egress: { route: { kind: 'mm4', clientId: 1 } },
    });
  });

  it('rejects a carrier message for a number no client owns, with no one to notify', () => {
    const d = decide(msg({ from: '+19995550000', to: '+17775550000', origin: { kind: 'carrier', carrierId: 7, node: 'n' } }), routing);
    expect(d).toMatchObject({ kind: 'reject', code: 'NO_ROUTE', senderClientId: undefined });
  });

  it('routes a gomsggw-era number whose carrier field holds a carrier type', () => {
    const old = client(3, 'web', [{ number: '+16045550000', carrier: 'twilio' }]);
    const d = decide(
      msg({ from: '+16045550000', to: '+14155559999', origin: { kind: 'web', clientId: 3, node: 'n' } }),
      view([old], [carrier(8, 'twilio-a', 'twilio')]),
    );
    expect(d).toMatchObject({ kind: 'route', egress: { route: { kind: 'carrier', carrierId: 8 } } });
  });

  it("rejects with NO_ROUTE when the number's carrier is not configured or a web client has no webhook", () => {
    const noCarrier = client(4, 'web', [{ number: '+16045550001', carrier: 'gone' }]);
    const noHook = client(5, 'web', [{ number: '+16045550002' }]);
    const v = view([noCarrier, noHook], []);
    expect(decide(msg({ from: '+16045550001', to: '+14155559999', origin: { kind: 'web', clientId: 4, node: 'n' } }), v)).toMatchObject({
      kind: 'reject',
      code: 'NO_ROUTE',
      senderClientId: 4,
    });
    expect(decide(msg({ from: '+16045550001', to: '+16045550002', origin: { kind: 'web', clientId: 4, node: 'n' } }), v)).toMatchObject({
      kind: 'reject',
      code: 'NO_ROUTE',
    });
  });

  it('rejects an invalid destination', () => {
    expect(decide(msg({ from: '+12505551234', to: 'hello', origin: { kind: 'smpp', clientId: 1, node: 'n' } }), routing)).toMatchObject({
      kind: 'reject',
      code: 'VALIDATION',
    });
  });
});
