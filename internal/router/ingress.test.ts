import { describe, expect, it } from 'vitest';
import { egressCodec, messageCodec } from '../../proto/message.js';
import { subjects } from '../../proto/subjects.js';
import { silentLogger } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import { RecordWriter } from '../records/index.js';
import type { MessageRecord } from '../store/index.js';
import { createBus } from '../bus/index.js';
import { OutcomeUnknownError } from '../errors/index.js';
import { IngressRouter } from './ingress.js';
import { kvIngressMemory, type IngressMemory } from './ingress-memory.js';
import { carrier, client, msg, view } from '../../test/support/router-fixtures.js';

const s = subjects('t');
const web = client(2, 'web', [{ number: '+14155550100', carrier: 'telnyx-prod' }], 'https://hooks.test/default');
const routing = view([web], [carrier(7, 'telnyx-prod', 'telnyx')]);

function setup(publishError?: Error, memory?: IngressMemory, load?: { enter(): void; leave(): void }) {
  const published: Array<{ subject: string; data: Uint8Array; msgId?: string }> = [];
  const written: MessageRecord[] = [];
  const bus = {
    publishDurable: async (subject: string, data: Uint8Array, opts?: { msgId?: string }) => {
      if (publishError) throw publishError;
      published.push({ subject, data, msgId: opts?.msgId });
      return { seq: published.length, duplicate: false, stream: 'x' };
    },
  };
  const records = new RecordWriter({ upsertMany: async (r: MessageRecord[]) => void written.push(...r) } as never, { flushMs: 1 });
  const legs = { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false };
  const metrics = createMetrics({ serverId: 'n1' });
  const ingress = new IngressRouter({ subjects: s }, { bus, view: routing, records, legs, logger: silentLogger(), metrics, memory, load });
  return { ingress, published, written, records };
}

describe('IngressRouter', () => {
  it('publishes a routable message straight to its carrier egress, deduplicated by id and route', async () => {
    const { ingress, published, written, records } = setup();
    await ingress.accept(
      'web',
      msg({ id: 'abc', from: '+14155550100', to: '+12505559999', origin: { kind: 'web', clientId: 2, node: 'n1' } }),
    );
    expect(published).toHaveLength(1);
    expect(published[0]!.subject).toBe(s.msgOutCarrier(7));
    expect(published[0]!.msgId).toBe('abc:carrier');
    expect(egressCodec.decode(published[0]!.data)).toMatchObject({ route: { kind: 'carrier', carrierId: 7 }, senderClientId: 2 });
    await records.stop();
    expect(written).toEqual([expect.objectContaining({ messageId: 'abc', status: 'queued', direction: 'outbound' })]);
  });

  it('uses the caller dedup key, so a carrier resending its webhook routes once', async () => {
    const { ingress, published } = setup();
    await ingress.accept(
      'carrier',
      msg({ id: 'fresh', from: '+12505559999', to: '+14155550100', origin: { kind: 'carrier', carrierId: 7, node: 'n1' } }),
      'carrier:7:SM123',
    );
    expect(published[0]!.msgId).toBe('carrier:7:SM123:webhook');
  });

  it('leaves a message it cannot route on msg.in, for the router to report', async () => {
    const { ingress, published } = setup();
    const m = msg({ id: 'bad', from: '+19995550000', to: '+12505559999', origin: { kind: 'web', clientId: 2, node: 'n1' } });
    await ingress.accept('web', m);
    expect(published).toHaveLength(1);
    expect(published[0]!.subject).toBe(s.msgIn('web'));
    expect(published[0]!.msgId).toBe('bad');
    expect(messageCodec.decode(published[0]!.data).from).toBe('+19995550000');
  });

  it('rejects when the bus cannot store the message', async () => {
    const { ingress } = setup(new Error('bus down'));
    await expect(
      ingress.accept('web', msg({ from: '+14155550100', to: '+12505559999', origin: { kind: 'web', clientId: 2, node: 'n1' } })),
    ).rejects.toThrow('bus down');
  });

  it('tells its load gauge of every message while it is being stored, stored or not', async () => {
    const seen: string[] = [];
    let inFlight = 0;
    const load = { enter: () => void seen.push(`enter ${++inFlight}`), leave: () => void seen.push(`leave ${--inFlight}`) };
    const ok = setup(undefined, undefined, load);
    await ok.ingress.accept('web', msg({ from: '+14155550100', to: '+12505559999', origin: { kind: 'web', clientId: 2, node: 'n1' } }));
    const failing = setup(new Error('bus down'), undefined, load);
    await expect(
      failing.ingress.accept('web', msg({ from: '+14155550100', to: '+12505559999', origin: { kind: 'web', clientId: 2, node: 'n1' } })),
    ).rejects.toThrow('bus down');
    expect(seen).toEqual(['enter 1', 'leave 0', 'enter 1', 'leave 0']);
  });

  describe('with its memory of caller keys', () => {
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const fromCarrier = (id: string) =>
      msg({ id, from: '+12505559999', to: '+14155550100', origin: { kind: 'carrier', carrierId: 7, node: 'n1' } });

    it('takes a repeat of a caller key once, long after the bus would have stored it again', async () => {
      const bus = createBus({ kind: 'memory' }, { nodeId: 'n1', logger: quiet });
      await bus.start();
      const memory = kvIngressMemory(() => bus.kv('seen', { ttlMs: 60_000 }), silentLogger());
      const { ingress, published } = setup(undefined, memory);
      await ingress.accept('carrier', fromCarrier('first'), 'carrier:7:SM1');
      // The fake bus dedups nothing, as a real one past its window: only the memory stops it.
      await ingress.accept('carrier', fromCarrier('again'), 'carrier:7:SM1');
      await ingress.accept('carrier', fromCarrier('other'), 'carrier:7:SM2');
      expect(published.map((p) => p.msgId)).toEqual(['carrier:7:SM1:webhook', 'carrier:7:SM2:webhook']);
      await bus.stop();
    });

    it('never asks about fresh ids, and remembers only what was stored', async () => {
      const asked: string[] = [];
      const memory: IngressMemory = {
        seen: async (k) => (asked.push(`seen ${k}`), false),
        remember: async (k) => void asked.push(`remember ${k}`),
      };
      const { ingress } = setup(undefined, memory);
      await ingress.accept(
        'web',
        msg({ id: 'w1', from: '+14155550100', to: '+12505559999', origin: { kind: 'web', clientId: 2, node: 'n1' } }),
      );
      expect(asked).toEqual([]);
      const failing = setup(new Error('bus down'), memory);
      await expect(failing.ingress.accept('carrier', fromCarrier('x'), 'carrier:7:SM9')).rejects.toThrow('bus down');
      expect(asked).toEqual(['seen carrier:7:SM9']);
    });

    it('asks about and remembers a key the caller says it may repeat, though it is the message id (REST Idempotency-Key)', async () => {
      const asked: string[] = [];
      const memory: IngressMemory = {
        seen: async (k) => (asked.push(`seen ${k}`), false),
        remember: async (k) => void asked.push(`remember ${k}`),
      };
      const { ingress, published } = setup(undefined, memory);
      const m = msg({ id: 'w2', from: '+14155550100', to: '+12505559999', origin: { kind: 'web', clientId: 2, node: 'n1' } });
      await ingress.accept('web', m, m.id, true);
      expect(asked).toEqual(['seen w2', 'remember w2']);
      expect(published[0]!.msgId).toBe('w2:carrier');
    });

    it("takes a carrier's resent webhook once after the first try's outcome was unknown, and remembers it then", async () => {
      const held = new Map<string, number>();
      let lost = true;
      const bus = {
        publishDurable: async (_subject: string, _data: Uint8Array, opts?: { msgId?: string }) => {
          const duplicate = held.has(opts!.msgId!);
          if (!duplicate) held.set(opts!.msgId!, held.size + 1);
          if (lost) {
            lost = false;
            throw new OutcomeUnknownError('no PubAck in time');
          }
          return { seq: held.get(opts!.msgId!)!, duplicate, stream: 'x' };
        },
      };
      const remembered: string[] = [];
      const memory: IngressMemory = { seen: async (k) => remembered.includes(k), remember: async (k) => void remembered.push(k) };
      const records = new RecordWriter({ upsertMany: async () => undefined } as never, { flushMs: 1 });
      const ingress = new IngressRouter(
        { subjects: s },
        {
          bus,
          view: routing,
          records,
          memory,
          logger: silentLogger(),
          legs: { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false },
          metrics: createMetrics({ serverId: 'n1' }),
        },
      );
      await expect(ingress.accept('carrier', fromCarrier('try1'), 'carrier:7:SM7')).rejects.toBeInstanceOf(OutcomeUnknownError);
      // Nothing remembered for an outcome not known: a resend that finds the bus without it must enter.
      expect(remembered).toEqual([]);
      await ingress.accept('carrier', fromCarrier('try2'), 'carrier:7:SM7');
      expect([...held.keys()]).toEqual(['carrier:7:SM7:webhook']);
      expect(remembered).toEqual(['carrier:7:SM7']);
      await records.stop();
    });

    it('asks the ledger about a repeatable message whose id is its key, when the memory forgot it', async () => {
      const asked: string[] = [];
      const memory: IngressMemory = { seen: async () => false, remember: async () => undefined };
      const published: string[] = [];
      const bus = {
        publishDurable: async (_s: string, _d: Uint8Array, o?: { msgId?: string }) => {
          published.push(o!.msgId!);
          return { seq: 1, duplicate: false, stream: 'x' };
        },
      };
      const ledger = new Set(['w3']);
      const records = new RecordWriter({ upsertMany: async () => undefined } as never, { flushMs: 1 });
      const ingress = new IngressRouter(
        { subjects: s },
        {
          bus,
          view: routing,
          records,
          memory,
          logger: silentLogger(),
          legs: { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false },
          metrics: createMetrics({ serverId: 'n1' }),
          recorded: async (id) => {
            asked.push(id);
            if (id === 'down') throw new Error('db down');
            return ledger.has(id);
          },
        },
      );
      const web = (id: string) => msg({ id, from: '+14155550100', to: '+12505559999', origin: { kind: 'web', clientId: 2, node: 'n1' } });
      await ingress.accept('web', web('w3'), 'w3', true); // handled before: a leg exists
      await ingress.accept('web', web('w4'), 'w4', true); // new
      await ingress.accept('web', web('down'), 'down', true); // the ledger cannot say: taken as new
      await ingress.accept('web', web('w5')); // not repeatable: never asked
      await ingress.accept('carrier', fromCarrier('c1'), 'carrier:7:SM8'); // its key is not its id: never asked
      expect(asked).toEqual(['w3', 'w4', 'down']);
      expect(published).toEqual(['w4:carrier', 'down:carrier', 'w5:carrier', 'carrier:7:SM8:webhook']);
      await records.stop();
    });

    it('lets messages in when the memory cannot be reached', async () => {
      const memory = kvIngressMemory(async () => {
        throw new Error('kv down');
      }, silentLogger());
      const { ingress, published } = setup(undefined, memory);
      await ingress.accept('carrier', fromCarrier('a'), 'carrier:7:SM5');
      expect(published).toHaveLength(1);
    });
  });
});
