/**
 * The router's side of auto-reply (internal/autoreply): replies sent on a client's behalf route
 * as that client's messages, and publishEgress asks the interceptor first, on both paths
 * (IngressRouter and the msg.in MsgInRouter workers) when it is in their deps, as cmd wires it.
 */
import { describe, expect, it } from 'vitest';
import { messageCodec, type Egress } from '../../proto/message.js';
import { subjects } from '../../proto/subjects.js';
import type { DurableMsg } from '../bus/index.js';
import { silentLogger } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import { RecordWriter } from '../records/index.js';
import type { MessageRecord } from '../store/index.js';
import { decide } from './decide.js';
import { IngressRouter } from './ingress.js';
import { MsgInRouter } from './msg-in-router.js';
import { carrier, client, msg, view } from '../../test/support/router-fixtures.js';

const s = subjects('t');
const owner = client(2, 'web', [{ number: '+14155550100', carrier: 'telnyx-prod' }], 'https://hooks.test/default');
const other = client(3, 'legacy', [{ number: '+14155550200' }]);
const routing = view([owner, other], [carrier(7, 'telnyx-prod', 'telnyx')]);
const reply = (over: Parameters<typeof msg>[0]) =>
  msg({ id: 'r1', notice: true, origin: { kind: 'system', clientId: 2, node: 'n' }, ...over });

describe("decide, for a gateway message sent on a client's behalf", () => {
  it("routes it through the carrier of the client's number, as the client's message", () => {
    const d = decide(reply({ from: '+14155550100', to: '+12505559999' }), routing);
    expect(d).toMatchObject({ kind: 'route', egress: { route: { kind: 'carrier', carrierId: 7 }, senderClientId: 2 } });
  });

  it('delivers it to a client that owns the destination, with both legs', () => {
    const d = decide(reply({ from: '+14155550100', to: '+14155550200' }), routing);
    expect(d).toMatchObject({ kind: 'route', egress: { route: { kind: 'smpp', clientId: 3 }, senderClientId: 2, receiverClientId: 3 } });
  });

  it('refuses it when the client no longer owns the number', () => {
    expect(decide(reply({ from: '+14155550200', to: '+12505559999' }), routing)).toMatchObject({ kind: 'reject', senderClientId: 2 });
  });

  it('leaves failure notices (no client) as before: delivered to a client, never to a carrier', () => {
    const notice = msg({ id: 'n1', notice: true, origin: { kind: 'system', node: 'n' }, from: '+14155550200', to: '+14155550100' });
    expect(decide(notice, routing)).toMatchObject({ kind: 'route', egress: { senderClientId: undefined, receiverClientId: 2 } });
    expect(decide({ ...notice, to: '+12505559999' }, routing)).toMatchObject({ kind: 'reject' });
  });
});

function deps(answer: boolean) {
  const published: string[] = [];
  const written: MessageRecord[] = [];
  const asked: Egress[] = [];
  const records = new RecordWriter({ upsertMany: async (r: MessageRecord[]) => void written.push(...r) } as never, { flushMs: 1 });
  const bus = {
    publishDurable: async (subject: string) => {
      published.push(subject);
      return { seq: published.length, duplicate: false, stream: 'x' };
    },
  };
  const autoReply = { intercept: async (egress: Egress) => (asked.push(egress), answer) };
  // The shape cmd/gateway/message-core.ts hands both routers.
  const shared = {
    bus,
    view: routing,
    records,
    legs: { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false },
    logger: silentLogger(),
    metrics: createMetrics({ serverId: 'n1' }),
    failures: { report: async () => undefined } as never,
    autoReply,
  };
  return { shared, published, written, asked, records };
}

const inbound = msg({ id: 'in1', from: '+12505559999', to: '+14155550100', origin: { kind: 'carrier', carrierId: 7, node: 'n' } });

describe('publishEgress with an auto-reply interceptor', () => {
  it('publishes and records nothing for a message auto-reply answered (IngressRouter)', async () => {
    const { shared, published, written, asked, records } = deps(true);
    await new IngressRouter({ subjects: s }, shared).accept('carrier', inbound);
    expect(asked.map((e) => e.message.id)).toEqual(['in1']);
    expect(published).toEqual([]);
    await records.stop();
    expect(written).toEqual([]);
  });

  it('delivers a message auto-reply let through (IngressRouter)', async () => {
    const { shared, published } = deps(false);
    await new IngressRouter({ subjects: s }, shared).accept('carrier', inbound);
    expect(published).toEqual([s.msgOutWebhook(2)]);
  });

  it("is asked on the router workers' path too", async () => {
    const { shared, published, asked } = deps(true);
    const router = new MsgInRouter({ subjects: s }, shared as never);
    const delivery = { subject: s.msgIn('carrier'), data: messageCodec.encode(inbound), deliveryCount: 1 } as unknown as DurableMsg;
    await router.handle(delivery);
    expect(asked).toHaveLength(1);
    expect(published).toEqual([]);
  });
});
