import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import type { TenantApiKey } from '../store/index.js';
import { createApiKeyLimit } from './api-key-limit.js';
import { createCounters, type Counters } from './counters.js';
import { createQuota } from './create.js';
import { QuotaRefusedError, limitExceededError } from './errors.js';
import { CounterQuotaGate } from './gate.js';
import { mutableView, quotaClient } from '../../test/support/quota-fixtures.js';
import type { QuotaDecision, QuotaRequest } from './types.js';
import { quotaUnits } from './units.js';

const A = '+14155550100';
const B = '+14155550101';

function clock(iso: string) {
  let now = Date.parse(iso);
  return { now: () => now, set: (next: string) => void (now = Date.parse(next)), advance: (ms: number) => void (now += ms) };
}

function setup(
  client = quotaClient(1, { limits: { smsDailyLimit: 3 }, numbers: [{ number: A }, { number: B }] }),
  time = clock('2024-05-10T12:00:00Z'),
) {
  const view = mutableView(client);
  const quota = createQuota({ kind: 'memory' }, {}, { view, logger: silentLogger(), now: time.now });
  const send = (over: Partial<QuotaRequest> = {}): Promise<QuotaDecision> =>
    quota.gate.admit({ clientId: client.id, number: A, type: 'sms', units: 1, direction: 'outbound', ...over });
  const admitted = async (n: number, over: Partial<QuotaRequest> = {}): Promise<boolean[]> => {
    const out: boolean[] = [];
    for (let i = 0; i < n; i++) out.push((await send(over)).admitted);
    return out;
  };
  return { quota, view, time, send, admitted, client };
}

function refusal(d: QuotaDecision) {
  if (d.admitted) throw new Error('expected a refusal');
  return d.refusal;
}

describe('QuotaGate on memory counters', () => {
  it("admits up to the client daily limit and refuses the next with upstream's figures", async () => {
    const { send, admitted } = setup(
      quotaClient(1, { timezone: 'America/New_York', limits: { smsDailyLimit: 3 }, numbers: [{ number: A }] }),
    );
    expect(await admitted(3)).toEqual([true, true, true]);
    expect(refusal(await send())).toEqual({
      period: 'daily',
      type: 'sms',
      level: 'client',
      limitType: 'daily_sms_client',
      limit: 3,
      currentUsage: 3,
      resetsAtMs: Date.parse('2024-05-11T04:00:00Z'),
      retryAfterMs: 16 * 3_600_000,
      number: A,
      message: 'SMS daily limit exceeded (3/3)',
    });
  });

  it('counts SMS in segments and MMS in messages, separately', async () => {
    const { send } = setup(quotaClient(1, { limits: { smsDailyLimit: 3, mmsDailyLimit: 1 }, numbers: [{ number: A }] }));
    expect(quotaUnits({ type: 'sms', text: 'x'.repeat(200) })).toBe(2);
    expect(quotaUnits({ type: 'mms', text: 'x'.repeat(200) })).toBe(1);
    expect((await send({ units: 2 })).admitted).toBe(true);
    expect(refusal(await send({ units: 2 }))).toMatchObject({ currentUsage: 2, message: 'SMS daily limit exceeded (2/3)' });
    expect((await send({ units: 1 })).admitted).toBe(true);
    expect((await send({ type: 'mms' })).admitted).toBe(true);
    expect(refusal(await send({ type: 'mms' })).limitType).toBe('daily_mms_client');
  });

  it("lets a number's own limit replace the client's for that period", async () => {
    const client = quotaClient(1, { limits: { smsDailyLimit: 10 }, numbers: [{ number: A, limits: { smsDailyLimit: 2 } }, { number: B }] });
    const { send, admitted } = setup(client);
    expect(await admitted(2)).toEqual([true, true]);
    expect(refusal(await send())).toMatchObject({ limitType: 'daily_sms_number', level: 'number', limit: 2, number: A });
    // B is held to the client's 10, which A's two messages count towards.
    expect(await admitted(8, { number: B })).toEqual(Array(8).fill(true));
    expect(refusal(await send({ number: B }))).toMatchObject({ limitType: 'daily_sms_client', currentUsage: 10 });
  });

  it("lets a number limit above the client's admit more than the client limit", async () => {
    const client = quotaClient(1, { limits: { smsDailyLimit: 1 }, numbers: [{ number: A, limits: { smsDailyLimit: 3 } }] });
    const { admitted } = setup(client);
    expect(await admitted(4)).toEqual([true, true, true, false]);
  });

  it('reports the first limit exceeded in burst, daily, monthly order', async () => {
    const { send, admitted } = setup(
      quotaClient(1, { limits: { smsBurstLimit: 2, smsDailyLimit: 2, smsMonthlyLimit: 2 }, numbers: [{ number: A }] }),
    );
    await admitted(2);
    expect(refusal(await send()).limitType).toBe('burst_sms_client');
  });

  it('does not consume from any limit when one refuses', async () => {
    const time = clock('2024-05-10T12:00:00Z');
    const { send, admitted, quota, client } = setup(
      quotaClient(1, { limits: { smsBurstLimit: 2, smsDailyLimit: 5 }, numbers: [{ number: A }] }),
      time,
    );
    await admitted(2);
    for (let i = 0; i < 5; i++) expect(refusal(await send()).period).toBe('burst');
    const report = await quota.usage.report(client);
    expect(report.client.sms.daily.used).toBe(2);
    expect(report.client.sms.monthly.used).toBe(2);
    expect(report.numbers[0]!.daily.sms.used).toBe(2);
    time.advance(60_000);
    expect(await admitted(4)).toEqual([true, true, false, false]);
    expect((await quota.usage.report(client)).client.sms.daily.used).toBe(4);
  });

  it("resets the daily limit at local midnight of the client's zone and not before", async () => {
    const time = clock('2024-03-09T12:00:00Z');
    const { send, admitted } = setup(
      quotaClient(1, { timezone: 'America/New_York', limits: { smsDailyLimit: 2 }, numbers: [{ number: A }] }),
      time,
    );
    await admitted(2);
    time.set('2024-03-10T04:59:59.999Z');
    expect(refusal(await send()).resetsAtMs).toBe(Date.parse('2024-03-10T05:00:00Z'));
    time.set('2024-03-10T05:00:00Z');
    expect(await admitted(3)).toEqual([true, true, false]);
    // 10 March is the spring DST day: 23 hours, so the next midnight is 04:00 UTC.
    time.set('2024-03-11T03:59:59Z');
    expect(refusal(await send()).resetsAtMs).toBe(Date.parse('2024-03-11T04:00:00Z'));
    time.set('2024-03-11T04:00:00Z');
    expect((await send()).admitted).toBe(true);
  });

  it("resets the monthly limit on the 1st in the client's zone", async () => {
    const time = clock('2024-02-29T17:00:00Z');
    const { send, admitted } = setup(
      quotaClient(1, { timezone: 'Asia/Kolkata', limits: { smsMonthlyLimit: 1 }, numbers: [{ number: A }] }),
      time,
    );
    await admitted(1);
    time.set('2024-02-29T18:29:59Z');
    expect(refusal(await send()).period).toBe('monthly');
    time.set('2024-02-29T18:30:00Z');
    expect((await send()).admitted).toBe(true);
  });

  it('never counts inbound without limit_both', async () => {
    const { send, admitted } = setup(quotaClient(1, { limits: { smsDailyLimit: 2 }, numbers: [{ number: A }] }));
    for (let i = 0; i < 5; i++) expect((await send({ direction: 'inbound' })).admitted).toBe(true);
    expect(await admitted(3)).toEqual([true, true, false]);
  });

  it('counts inbound with limit_both and refuses inbound over the limit', async () => {
    const { send } = setup(quotaClient(1, { limits: { smsDailyLimit: 2, limitBoth: true }, numbers: [{ number: A }] }));
    expect((await send({ direction: 'inbound' })).admitted).toBe(true);
    expect((await send()).admitted).toBe(true);
    expect(refusal(await send({ direction: 'inbound' }))).toMatchObject({ limitType: 'daily_sms_client', currentUsage: 2 });
    expect(refusal(await send()).limitType).toBe('daily_sms_client');
  });

  it('takes limit_both from the level that supplied the limit', async () => {
    const client = quotaClient(1, {
      limits: { smsDailyLimit: 5, limitBoth: true },
      numbers: [{ number: A, limits: { smsDailyLimit: 1, limitBoth: false } }],
    });
    const { send } = setup(client);
    // The number's limit (without limit_both) applies to A: inbound to A is never refused.
    for (let i = 0; i < 3; i++) expect((await send({ direction: 'inbound' })).admitted).toBe(true);
    expect((await send()).admitted).toBe(true);
    expect(refusal(await send()).limitType).toBe('daily_sms_number');
  });

  it('gives units back on refund, once', async () => {
    const { send, admitted } = setup();
    const first = await send();
    await admitted(2);
    expect((await send()).admitted).toBe(false);
    if (!first.admitted) throw new Error('expected admission');
    await first.refund();
    await first.refund();
    expect(await admitted(2)).toEqual([true, false]);
  });

  it('counts a message once when its dedupKey comes again (a resent webhook), and again after a refund', async () => {
    const { send, quota, client } = setup();
    const usage = async () => (await quota.usage.report(client)).client.sms.daily.used;
    const first = await send({ dedupKey: 'carrier:3:SM123' });
    expect(first.admitted).toBe(true);
    expect((await send({ dedupKey: 'carrier:3:SM123' })).admitted).toBe(true);
    expect(await usage()).toBe(1);
    // Another key is another message.
    expect((await send({ dedupKey: 'carrier:3:SM124' })).admitted).toBe(true);
    expect(await usage()).toBe(2);
    // A refunded message was not stored: if it comes back it counts.
    if (!first.admitted) throw new Error('expected admission');
    await first.refund();
    expect(await usage()).toBe(1);
    expect((await send({ dedupKey: 'carrier:3:SM123' })).admitted).toBe(true);
    expect(await usage()).toBe(2);
    // A repeat's own refund gives back nothing (it counted nothing).
    const repeat = await send({ dedupKey: 'carrier:3:SM123' });
    if (!repeat.admitted) throw new Error('expected admission');
    await repeat.refund();
    expect(await usage()).toBe(2);
  });

  it('still refuses a repeat of a refused message while the limit holds', async () => {
    const { send, admitted } = setup();
    await admitted(3);
    expect((await send({ dedupKey: 'k1' })).admitted).toBe(false);
    expect((await send({ dedupKey: 'k1' })).admitted).toBe(false);
  });

  it('reads a new period as zero right after it rolls over', async () => {
    const time = clock('2024-01-31T23:59:00Z');
    const { admitted, quota, client } = setup(undefined, time);
    await admitted(2);
    expect((await quota.usage.report(client)).client.sms.monthly.used).toBe(2);
    time.set('2024-02-01T00:00:00Z');
    const report = await quota.usage.report(client);
    expect([report.client.sms.burst.used, report.client.sms.daily.used, report.client.sms.monthly.used]).toEqual([0, 0, 0]);
    expect(report.resetsAtMs).toEqual({
      burst: Date.parse('2024-02-01T00:01:00Z'),
      daily: Date.parse('2024-02-02T00:00:00Z'),
      monthly: Date.parse('2024-03-01T00:00:00Z'),
    });
  });

  it('admits everything for a client it does not know, counting nothing', async () => {
    const { send } = setup();
    expect((await send({ clientId: 99 })).admitted).toBe(true);
  });

  it('rejects with UnavailableError and gives back what it counted when a counter fails', async () => {
    const inner = createCounters({ kind: 'memory' }, 't');
    let calls = 0;
    const flaky: Counters = {
      add: (key, units, ttl) => (++calls === 2 ? Promise.reject(new Error('redis down')) : inner.add(key, units, ttl)),
      remove: (key, units, ttl) => inner.remove(key, units, ttl),
      read: (keys) => inner.read(keys),
    };
    const client = quotaClient(1, { limits: { smsDailyLimit: 3 }, numbers: [{ number: A }] });
    const gate = new CounterQuotaGate({
      counters: flaky,
      view: mutableView(client),
      logger: silentLogger(),
      now: () => Date.parse('2024-05-10T12:00:00Z'),
    });
    await expect(gate.admit({ clientId: 1, number: A, type: 'sms', units: 1, direction: 'outbound' })).rejects.toThrow('redis down');
    expect(calls).toBe(6);
    expect(await inner.read(['c1:sms:d20240510', 'c1:n14155550100:sms:d20240510', 'c1:sms:m202405'])).toEqual([0, 0, 0]);
  });

  it("turns a refusal into upstream's 429 body", async () => {
    const { send } = setup(quotaClient(1, { limits: { smsDailyLimit: 1 }, numbers: [{ number: A }] }));
    await send();
    const err = limitExceededError(refusal(await send()));
    expect(err).toBeInstanceOf(QuotaRefusedError);
    expect(err.details).toEqual({
      error: 'rate_limit_exceeded',
      message: 'SMS daily limit exceeded (1/1)',
      limit_type: 'daily_sms_client',
      period: 'daily',
      number: A,
      current_usage: 1,
      limit: 1,
    });
    expect(err.retryAfterMs).toBe(12 * 3_600_000);
  });
});

describe('API key rate limit on memory counters', () => {
  const key = (id: number, rateLimit: number) => ({ id, rateLimit }) as TenantApiKey;

  it("lets rate_limit requests through per minute and answers the next with upstream's 429", async () => {
    const { quota } = setup();
    await quota.apiKeyLimit(key(1, 2));
    await quota.apiKeyLimit(key(1, 2));
    const err = await quota.apiKeyLimit(key(1, 2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuotaRefusedError);
    expect((err as QuotaRefusedError).details).toEqual({
      error: 'rate_limit_exceeded',
      message: 'API key rate limit exceeded (2 requests/minute)',
      rate_limit: 2,
    });
    await quota.apiKeyLimit(key(2, 2));
  });

  it('never limits a key with rate_limit 0', async () => {
    const { quota } = setup();
    for (let i = 0; i < 50; i++) await quota.apiKeyLimit(key(3, 0));
  });

  it('does not count refused requests', async () => {
    const counters = createCounters({ kind: 'memory' }, 'x');
    const limit = createApiKeyLimit(counters);
    await limit(key(4, 1));
    for (let i = 0; i < 3; i++) await expect(limit(key(4, 1))).rejects.toBeInstanceOf(QuotaRefusedError);
    expect(await counters.read(['k4'])).toEqual([1]);
  });
});

describe('counters', () => {
  it('keep a memory counter longer than a Node timer can wait (a month)', async () => {
    const counters = createCounters({ kind: 'memory' }, 't');
    await counters.add('month', 3, 31 * 86_400);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await counters.add('month', 1, 31 * 86_400);
    expect(await counters.read(['month'])).toEqual([4]);
  });

  it('add within limits atomically: all counters or none, naming the first that would go over', async () => {
    const counters = createCounters({ kind: 'memory' }, 't');
    await counters.add('b', 2, 60);
    expect(
      await counters.addWithin(
        [
          { key: 'a', ttlSecs: 60 },
          { key: 'b', ttlSecs: 60, limit: 3 },
          { key: 'c', ttlSecs: 60, limit: 1 },
        ],
        2,
      ),
    ).toMatchObject({ added: false, index: 1, current: 2 });
    expect(await counters.read(['a', 'b', 'c'])).toEqual([0, 2, 0]);
    expect(
      await counters.addWithin(
        [
          { key: 'a', ttlSecs: 60 },
          { key: 'b', ttlSecs: 60, limit: 3 },
        ],
        1,
      ),
    ).toEqual({ added: true });
    expect(await counters.read(['a', 'b'])).toEqual([1, 3]);
  });

  it('refuse only the overflow when many admits race on one limit', async () => {
    const client = quotaClient(1, { limits: { smsDailyLimit: 7 }, numbers: [{ number: A }] });
    const quota = createQuota({ kind: 'memory' }, {}, { view: mutableView(client), logger: silentLogger() });
    const decisions = await Promise.all(
      Array.from({ length: 30 }, () => quota.gate.admit({ clientId: 1, number: A, type: 'sms', units: 1, direction: 'outbound' })),
    );
    expect(decisions.filter((d) => d.admitted)).toHaveLength(7);
    expect(decisions.filter((d) => !d.admitted).every((d) => !d.admitted && d.refusal.currentUsage === 7)).toBe(true);
  });

  it('turn a failing backend into UnavailableError', async () => {
    const broken = createCounters({ kind: 'redis', redis: { status: 'end', defineCommand: () => undefined } as never }, 't');
    await expect(broken.add('k', 1, 10)).rejects.toBeInstanceOf(UnavailableError);
  });
});
