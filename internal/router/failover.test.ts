import { describe, expect, it } from 'vitest';
import type { Egress } from '../../proto/message.js';
import { silentLogger } from '../log/index.js';
import type { ClientDetails, ClientFailover } from '../store/index.js';
import { chooseReceiver, FailoverRouting } from './failover.js';
import { client, msg } from '../../test/support/router-fixtures.js';

let nextId = 1;
const failover = (primary: number, fallback: number, priority: number, enabled = true): ClientFailover => ({
  id: nextId++,
  primaryClientId: primary,
  fallbackClientId: fallback,
  priority,
  enabled,
});

function clients(): ClientDetails[] {
  const primary = client(1, 'legacy', [{ number: '+15550001000' }]);
  // Created in this order; priority decides, not creation.
  primary.failovers = [failover(1, 3, 5), failover(1, 2, 1), failover(1, 4, 0, false), failover(1, 5, 2)];
  return [primary, client(2, 'legacy', []), client(3, 'legacy', []), client(4, 'legacy', []), client(5, 'web', [])];
}
const all = clients();
const byId = (id: number) => all.find((c) => c.id === id);
const primary = all[0]!;

describe('chooseReceiver', () => {
  it('keeps the client itself while it has a receiving bind', () => {
    expect(chooseReceiver(primary, new Set([1, 2, 3]), byId)).toEqual({ kind: 'primary' });
  });

  it('picks the enabled failover with the lowest priority that can receive', () => {
    expect(chooseReceiver(primary, new Set([2, 3]), byId)).toEqual({ kind: 'fallback', clientId: 2 });
    expect(chooseReceiver(primary, new Set([3]), byId)).toEqual({ kind: 'fallback', clientId: 3 });
  });

  it('skips a disabled failover, a web client and a client that no longer exists', () => {
    expect(chooseReceiver(primary, new Set([4, 5]), byId)).toEqual({ kind: 'none' });
    expect(chooseReceiver(primary, new Set([3]), (id) => (id === 2 ? undefined : byId(id)))).toEqual({ kind: 'fallback', clientId: 3 });
    expect(chooseReceiver(primary, new Set([2]), (id) => (id === 2 ? undefined : byId(id)))).toEqual({ kind: 'none' });
  });

  it('breaks a priority tie by creation order', () => {
    const p = { ...primary, failovers: [failover(1, 3, 0), failover(1, 2, 0)] };
    expect(chooseReceiver(p, new Set([2, 3]), byId)).toEqual({ kind: 'fallback', clientId: 3 });
  });
});

describe('FailoverRouting', () => {
  const egress = (clientId: number): Egress => ({
    v: 1,
    message: msg({ from: '+15557770000', to: '+15550001000', origin: { kind: 'carrier', carrierId: 1, node: 'n' } }),
    route: { kind: 'smpp', clientId },
    receiverClientId: clientId,
  });
  const routing = (bound: number[], reads: number[] = [], fail = false) =>
    new FailoverRouting({
      client: byId,
      logger: silentLogger(),
      receivers: {
        receiverNodes: async (id) => {
          reads.push(id);
          if (fail) throw new Error('kv down');
          return bound.includes(id) ? [{ node: 'a', ip: '' }] : [];
        },
      },
    });

  it('readdresses a message of an unbound client to its failover and says from whom', async () => {
    const out = await routing([3]).apply(egress(1));
    expect(out.route).toEqual({ kind: 'smpp', clientId: 3 });
    expect(out.receiverClientId).toBe(3);
    expect(out.failoverFrom).toBe(1);
    expect(out.message.to).toBe('+15550001000'); // the deliver_sm keeps the original To
  });

  it('leaves a message alone when its client is bound, or nobody is', async () => {
    expect(await routing([1, 2]).apply(egress(1))).toEqual(egress(1));
    expect(await routing([]).apply(egress(1))).toEqual(egress(1));
  });

  it('reads nothing for a client without enabled failovers, or a route that is not SMPP', async () => {
    const reads: number[] = [];
    await routing([], reads).apply(egress(2));
    await routing([], reads).apply({ ...egress(1), route: { kind: 'mm4', clientId: 1 } });
    expect(reads).toEqual([]);
  });

  it('leaves the message with its client when the registry cannot be read', async () => {
    expect(await routing([3], [], true).apply(egress(1))).toEqual(egress(1));
  });
});
