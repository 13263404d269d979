import { describe, expect, it } from 'vitest';
import { subjects } from '../../proto/subjects.js';
import { silentLogger } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import { OutcomeUnknownError } from '../errors/index.js';
import { createQuota, QuotaRefusedError } from '../quota/index.js';
import { mutableView, quotaClient } from '../../test/support/quota-fixtures.js';
import { RecordWriter } from '../records/index.js';
import type { ClientDetails, Limits, MessageRecord } from '../store/index.js';
import type { Failure } from './failures.js';
import { IngressRouter } from './ingress.js';
import { checkQuota } from './quota-check.js';
import { carrier, msg, view } from '../../test/support/router-fixtures.js';

const s = subjects('t');
const SENDER = '+14155550100';
const RECEIVER = '+14155550200';
const EXTERNAL = '+12505559999';

function clients(sender: Partial<Limits>, receiver: Partial<Limits>): ClientDetails[] {
  const a = quotaClient(1, { limits: sender, numbers: [{ number: SENDER }] });
  const b = quotaClient(2, { limits: receiver, numbers: [{ number: RECEIVER }] });
  a.numbers[0]!.carrier = 'telnyx-prod';
  b.settings!.defaultWebhook = 'https://hooks.test/b';
  return [a, b];
}

function setup(sender: Partial<Limits>, receiver: Partial<Limits> = {}) {
  const all = clients(sender, receiver);
  const quota = createQuota({ kind: 'memory' }, {}, { view: mutableView(...all), logger: silentLogger() });
  const published: string[] = [];
  const reported: Failure[] = [];
  const written: MessageRecord[] = [];
  const bus = {
    publishDurable: async (subject: string) => {
      published.push(subject);
      return { seq: published.length, duplicate: false, stream: 'x' };
    },
  };
  const records = new RecordWriter({ upsertMany: async (r: MessageRecord[]) => void written.push(...r) } as never, { flushMs: 1 });
  const ingress = new IngressRouter(
    { subjects: s },
    {
      bus,
      view: view(all, [carrier(7, 'telnyx-prod', 'telnyx')]),
      records,
      logger: silentLogger(),
      legs: { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false },
      metrics: createMetrics({ serverId: 'n1', defaultMetrics: false }),
      quota: quota.gate,
      failures: { report: async (f) => void reported.push(f) },
    },
  );
  return { ingress, quota, published, reported, all };
}

const fromSender = (to: string, id = 'm1') => msg({ id, from: SENDER, to, origin: { kind: 'web', clientId: 1, node: 'n1' } });
const fromCarrier = (id = 'c1') => msg({ id, from: EXTERNAL, to: RECEIVER, origin: { kind: 'carrier', carrierId: 7, node: 'n1' } });

describe('IngressRouter with quotas', () => {
  it('refuses a sender over its limit with QuotaRefusedError and stores nothing', async () => {
    const { ingress, published } = setup({ smsDailyLimit: 1 });
    await ingress.accept('web', fromSender(EXTERNAL, 'a'));
    const err = await ingress.accept('web', fromSender(EXTERNAL, 'b')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuotaRefusedError);
    expect((err as QuotaRefusedError).details).toMatchObject({ limit_type: 'daily_sms_client', number: SENDER });
    expect(published).toEqual([s.msgOutCarrier(7)]);
  });

  it("accepts a carrier message over the receiver's limit_both quota and reports it rejected, undelivered", async () => {
    const { ingress, published, reported } = setup({}, { smsDailyLimit: 1, limitBoth: true });
    await ingress.accept('carrier', fromCarrier('c1'));
    await ingress.accept('carrier', fromCarrier('c2'));
    expect(published).toEqual([s.msgOutWebhook(2)]);
    expect(reported).toEqual([
      expect.objectContaining({ code: 'QUOTA_EXCEEDED', status: 'rejected', reason: 'SMS daily limit exceeded (1/1)' }),
    ]);
  });

  it('counts a client-to-client message against both ends and gives the sender back its units when the receiver refuses', async () => {
    const { ingress, quota, reported, all } = setup({ smsDailyLimit: 5 }, { smsDailyLimit: 1, limitBoth: true });
    await ingress.accept('web', fromSender(RECEIVER, 'a'));
    await ingress.accept('web', fromSender(RECEIVER, 'b'));
    expect(reported).toHaveLength(1);
    expect((await quota.usage.report(all[0]!)).client.sms.daily.used).toBe(1);
    expect((await quota.usage.report(all[1]!)).client.sms.daily.used).toBe(1);
  });

  it('gives the units back when the message cannot be stored', async () => {
    const { quota, all } = setup({ smsDailyLimit: 1 });
    const failing = new IngressRouter(
      { subjects: s },
      {
        bus: {
          publishDurable: async () => {
            throw new Error('bus down');
          },
        },
        view: view(all, [carrier(7, 'telnyx-prod', 'telnyx')]),
        records: new RecordWriter({ upsertMany: async () => undefined } as never),
        legs: { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false },
        logger: silentLogger(),
        metrics: createMetrics({ serverId: 'n1', defaultMetrics: false }),
        quota: quota.gate,
      },
    );
    await expect(failing.accept('web', fromSender(EXTERNAL))).rejects.toThrow('bus down');
    expect((await quota.usage.report(all[0]!)).client.sms.daily.used).toBe(0);
  });

  /** An ingress whose bus stores what it is given; `lose` says, per publish, whether the PubAck is lost. */
  function unknownOutcomes(sender: Partial<Limits>, lose: (n: number) => { stored: boolean } | undefined) {
    const { quota, all } = setup(sender);
    const held = new Set<string>();
    let calls = 0;
    const bus = {
      publishDurable: async (_subject: string, _data: Uint8Array, opts?: { msgId?: string }) => {
        const lost = lose(++calls);
        const duplicate = held.has(opts!.msgId!);
        if (!lost || lost.stored) held.add(opts!.msgId!);
        if (lost) throw new OutcomeUnknownError('no PubAck in time');
        return { seq: held.size, duplicate, stream: 'x' };
      },
    };
    const ingress = new IngressRouter(
      { subjects: s },
      {
        bus,
        view: view(all, [carrier(7, 'telnyx-prod', 'telnyx')]),
        records: new RecordWriter({ upsertMany: async () => undefined } as never),
        legs: { serverId: 'n1', clientType: () => 'web', logPrivacy: () => false },
        logger: silentLogger(),
        metrics: createMetrics({ serverId: 'n1', defaultMetrics: false }),
        quota: quota.gate,
      },
    );
    const used = async () => (await quota.usage.report(all[0]!)).client.sms.daily.used;
    return { ingress, used, held };
  }

  it("keeps the units when the store's outcome is unknown, and a resend the bus finds stored costs nothing more", async () => {
    const { ingress, used, held } = unknownOutcomes({ smsDailyLimit: 5 }, (n) => (n === 1 ? { stored: true } : undefined));
    const m = fromSender(EXTERNAL, 'u1');
    await expect(ingress.accept('web', m)).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(await used()).toBe(1);
    // The caller resends under the same id (REST: Idempotency-Key), as a key it may repeat.
    await ingress.accept('web', m, m.id, true);
    expect(held.size).toBe(1);
    expect(await used()).toBe(1);
  });

  it('counts a keyed message once whether or not the try with an unknown outcome was stored', async () => {
    const { ingress, used, held } = unknownOutcomes({ smsDailyLimit: 5 }, (n) => (n === 1 ? { stored: false } : undefined));
    const m = fromSender(EXTERNAL, 'k1');
    await expect(ingress.accept('web', m, m.id, true)).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(await used()).toBe(1);
    await ingress.accept('web', m, m.id, true);
    expect(held.size).toBe(1);
    expect(await used()).toBe(1);
  });
});

describe('checkQuota', () => {
  it('does not count gateway-generated messages', async () => {
    const { quota } = setup({ smsDailyLimit: 1 });
    const notice = msg({ from: SENDER, to: EXTERNAL, notice: true, origin: { kind: 'system', clientId: 1, node: 'n1' } });
    for (let i = 0; i < 3; i++) {
      const outcome = await checkQuota(
        { v: 1, message: notice, route: { kind: 'carrier', carrierId: 7, carrierName: 'x' }, senderClientId: 1 },
        quota.gate,
      );
      expect(outcome.kind).toBe('admitted');
    }
  });

  it('counts SMS by segments', async () => {
    const { quota } = setup({ smsDailyLimit: 2 });
    const long = msg({ from: SENDER, to: EXTERNAL, text: 'x'.repeat(200), origin: { kind: 'web', clientId: 1, node: 'n1' } });
    const egress = { v: 1 as const, message: long, route: { kind: 'carrier' as const, carrierId: 7, carrierName: 'x' }, senderClientId: 1 };
    expect((await checkQuota(egress, quota.gate)).kind).toBe('admitted');
    expect(await checkQuota(egress, quota.gate)).toMatchObject({ kind: 'refused', side: 'sender' });
  });
});
