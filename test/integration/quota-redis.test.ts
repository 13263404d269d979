/**
 * Quotas on a real redis-server: two nodes (two ioredis clients) share
 * one quota under concurrent load; calendar periods in the client's zone reset at local midnight
 * and not before, DST days included (injectable clock); a number's limit overrides the client's;
 * limit_both counts inbound; the REST send answers upstream's 429 and stores nothing; an inbound
 * carrier message over the receiver's limit is answered 200 and recorded as rejected; API keys
 * are rate limited across nodes; GET /messages/usage reads the counters.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, type Redis } from '../../internal/redis/index.js';
import { silentLogger } from '../../internal/log/index.js';
import { DEFAULT_HOLD_MS } from '../../internal/records/index.js';
import { createQuota, QuotaRefusedError, type Quota, type QuotaDecision, type QuotaRequest } from '../../internal/quota/index.js';
import { mutableView, quotaClient } from '../support/quota-fixtures.js';
import type { ClientDetails, TenantApiKey } from '../../internal/store/index.js';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { call, startQuotaApp, tenant, type QuotaApp } from './quota/app.js';

const svc = requireServices(['redis']);
const logger = silentLogger();
const A = '+14155550100';
const B = '+14155550101';

function clock(iso: string) {
  let now = Date.parse(iso);
  return { now: () => now, set: (next: string) => void (now = Date.parse(next)) };
}

async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

describe.skipIf(svc.skip)(svc.title('quotas on redis-server'), () => {
  let node1: Redis;
  let node2: Redis;
  const prefixes: string[] = [];

  beforeAll(async () => {
    node1 = await connectRedis(svc.urls.redis, { logger, connectionName: 'quota-node-1' });
    node2 = await connectRedis(svc.urls.redis, { logger, connectionName: 'quota-node-2' });
  });

  afterAll(async () => {
    for (const p of prefixes) await dropPrefix(node1, p);
    await closeRedis(node1);
    await closeRedis(node2);
  });

  /** The same quota seen from two nodes, each with its own Redis connection. */
  function twoNodes(client: ClientDetails, now: () => number = Date.now) {
    const keyPrefix = uniquePrefix('quota');
    prefixes.push(keyPrefix);
    const view = mutableView(client);
    const make = (redis: Redis): Quota => createQuota({ kind: 'redis', redis }, { keyPrefix }, { view, logger, now });
    return { one: make(node1), two: make(node2), view, keyPrefix };
  }

  const request = (over: Partial<QuotaRequest> = {}): QuotaRequest => ({
    clientId: 1,
    number: A,
    type: 'sms',
    units: 1,
    direction: 'outbound',
    ...over,
  });

  async function hammer(gates: Quota[], total: number, over: Partial<QuotaRequest> = {}): Promise<QuotaDecision[]> {
    return Promise.all(Array.from({ length: total }, (_, i) => gates[i % gates.length]!.gate.admit(request(over))));
  }

  describe('two nodes', () => {
    it('count a message once when its dedup key reaches both nodes at once, and again after a refund', async () => {
      const client = quotaClient(1, { limits: { smsDailyLimit: 50 }, numbers: [{ number: A }] });
      const { one, two } = twoNodes(client);
      const used = async () => (await one.usage.report(client)).client.sms.daily.used;
      const decisions = await hammer([one, two], 20, { dedupKey: 'carrier:3:SMresent' });
      expect(decisions.every((d) => d.admitted)).toBe(true);
      expect(await used()).toBe(1);
      const counted = decisions.filter((d) => d.admitted);
      for (const d of counted) if (d.admitted) await d.refund(); // only the one that counted gives back
      expect(await used()).toBe(0);
      expect((await two.gate.admit(request({ dedupKey: 'carrier:3:SMresent' }))).admitted).toBe(true);
      expect(await used()).toBe(1);
    });

    it('count the messages of a client without limits behind, exactly, on both nodes', async () => {
      const client = quotaClient(1, { numbers: [{ number: A }] });
      const { one, two } = twoNodes(client);
      const decisions = await hammer([one, two], 300);
      expect(decisions.every((d) => d.admitted)).toBe(true);
      // Each node reads its own counts not yet written; the other node's once they are.
      expect((await one.usage.report(client)).client.sms.daily.used).toBeGreaterThanOrEqual(150);
      await Promise.all([one.close(), two.close()]);
      const report = await two.usage.report(client);
      expect([report.client.sms.burst.used, report.client.sms.daily.used, report.client.sms.monthly.used]).toEqual([300, 300, 300]);
      expect(report.numbers[0]!.daily.sms.used).toBe(300);
    });

    it('admit exactly N of a limit of N under concurrent load', async () => {
      const { one, two } = twoNodes(quotaClient(1, { limits: { smsDailyLimit: 50 }, numbers: [{ number: A }] }));
      const decisions = await hammer([one, two], 300);
      expect(decisions.filter((d) => d.admitted)).toHaveLength(50);
      const report = await two.usage.report(quotaClient(1, { limits: { smsDailyLimit: 50 }, numbers: [{ number: A }] }));
      expect(report.client.sms.daily.used).toBe(50);
      expect(report.numbers[0]!.daily.sms.used).toBe(50);
    });

    it('admit exactly the smallest of several limits, counting segments', async () => {
      const client = quotaClient(1, { limits: { smsBurstLimit: 40, smsDailyLimit: 100, smsMonthlyLimit: 90 }, numbers: [{ number: A }] });
      const { one, two } = twoNodes(client);
      const decisions = await hammer([one, two], 200, { units: 2 });
      expect(decisions.filter((d) => d.admitted)).toHaveLength(20);
      const report = await one.usage.report(client);
      expect([report.client.sms.burst.used, report.client.sms.daily.used, report.client.sms.monthly.used]).toEqual([40, 40, 40]);
    });

    it("share an API key's per-minute limit", async () => {
      const { one, two } = twoNodes(quotaClient(1));
      const key = { id: 7, rateLimit: 12 } as TenantApiKey;
      const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).apiKeyLimit(key)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(12);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason as QuotaRefusedError;
      expect(refused).toBeInstanceOf(QuotaRefusedError);
      expect(refused.details).toEqual({
        error: 'rate_limit_exceeded',
        message: 'API key rate limit exceeded (12 requests/minute)',
        rate_limit: 12,
      });
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    });
  });

  describe('calendar periods', () => {
    it('reset a daily limit at local midnight and not before, on a DST-change day', async () => {
      const time = clock('2024-03-09T20:00:00-05:00');
      const { one, two } = twoNodes(
        quotaClient(1, { timezone: 'America/New_York', limits: { smsDailyLimit: 3 }, numbers: [{ number: A }] }),
        time.now,
      );
      expect((await hammer([one, two], 5)).filter((d) => d.admitted)).toHaveLength(3);
      time.set('2024-03-09T23:59:59.999-05:00');
      expect((await one.gate.admit(request())).admitted).toBe(false);
      time.set('2024-03-10T00:00:00-05:00');
      // 10 March 2024 is 23 hours long in New York (02:00 EST → 03:00 EDT).
      expect((await hammer([one, two], 5)).filter((d) => d.admitted)).toHaveLength(3);
      time.set('2024-03-10T23:59:59-04:00');
      const refused = await two.gate.admit(request());
      expect(refused.admitted ? undefined : refused.refusal.resetsAtMs).toBe(Date.parse('2024-03-11T00:00:00-04:00'));
      time.set('2024-03-11T00:00:00-04:00');
      expect((await one.gate.admit(request())).admitted).toBe(true);
    });

    it('reset at local midnight of a half-hour zone, not at UTC midnight', async () => {
      const time = clock('2024-06-01T18:00:00Z');
      const { one } = twoNodes(
        quotaClient(1, { timezone: 'Asia/Kolkata', limits: { smsDailyLimit: 1 }, numbers: [{ number: A }] }),
        time.now,
      );
      expect((await one.gate.admit(request())).admitted).toBe(true);
      time.set('2024-06-01T18:29:59Z');
      expect((await one.gate.admit(request())).admitted).toBe(false);
      time.set('2024-06-01T18:30:00Z');
      expect((await one.gate.admit(request())).admitted).toBe(true);
    });

    it('read a new period as zero right after it rolls over', async () => {
      const time = clock('2024-04-30T23:59:30+10:00');
      const client = quotaClient(1, { timezone: 'Australia/Sydney', limits: { smsMonthlyLimit: 9 }, numbers: [{ number: A }] });
      const { one, two } = twoNodes(client, time.now);
      await hammer([one, two], 4);
      expect((await two.usage.report(client)).client.sms.monthly).toEqual({ used: 4, limit: 9 });
      time.set('2024-05-01T00:00:00+10:00');
      const report = await one.usage.report(client);
      expect(report.client.sms.monthly).toEqual({ used: 0, limit: 9 });
      expect(report.client.sms.daily.used).toBe(0);
      expect(report.resetsAtMs.monthly).toBe(Date.parse('2024-06-01T00:00:00+10:00'));
    });
  });

  describe('limits', () => {
    it("let a number's own limit override the client's for that period", async () => {
      const client = quotaClient(1, {
        limits: { smsDailyLimit: 4 },
        numbers: [{ number: A, limits: { smsDailyLimit: 10 } }, { number: B }],
      });
      const { one, two } = twoNodes(client);
      expect((await hammer([one, two], 20)).filter((d) => d.admitted)).toHaveLength(10);
      const refused = await one.gate.admit(request());
      expect(refused.admitted ? undefined : refused.refusal.limitType).toBe('daily_sms_number');
      // B has no limit of its own: the client's 4 applies, and A's 10 already count towards it.
      const fromB = await two.gate.admit(request({ number: B }));
      expect(fromB.admitted ? undefined : fromB.refusal).toMatchObject({ limitType: 'daily_sms_client', limit: 4, currentUsage: 4 });
    });

    it('count inbound only with limit_both, and refuse inbound over the limit', async () => {
      const plain = twoNodes(quotaClient(1, { limits: { smsDailyLimit: 2 }, numbers: [{ number: A }] }));
      expect((await hammer([plain.one, plain.two], 10, { direction: 'inbound' })).every((d) => d.admitted)).toBe(true);
      expect((await hammer([plain.one, plain.two], 3)).filter((d) => d.admitted)).toHaveLength(2);
      const both = twoNodes(quotaClient(1, { limits: { smsDailyLimit: 2, limitBoth: true }, numbers: [{ number: A }] }));
      expect((await hammer([both.one, both.two], 10, { direction: 'inbound' })).filter((d) => d.admitted)).toHaveLength(2);
      expect((await both.one.gate.admit(request())).admitted).toBe(false);
    });
  });

  describe('the web entry point', () => {
    const pg = requireServices(['postgres']);
    const time = clock('2024-03-09T23:59:00-05:00');
    let app: QuotaApp;
    const keyPrefix = uniquePrefix('quotaweb');

    beforeAll(async () => {
      if (pg.skip) return;
      prefixes.push(keyPrefix);
      app = await startQuotaApp(await createTestDatabase('quota'), node1, keyPrefix, time.now);
    });
    afterAll(async () => app?.stop());
    afterEach(() => time.set('2024-03-09T23:59:00-05:00'));

    const send = (auth: string, from: string, text = 'hello') =>
      call(app, 'POST', '/messages/send', auth, { from, to: '+14155559876', text });

    it.skipIf(pg.skip)("answers upstream's 429 when over the limit and stores nothing", async () => {
      const t = await tenant(app, { timezone: 'America/New_York', limits: { smsDailyLimit: 2 } });
      const carrierBefore = await app.bus.pending(app.names.streams.carrier);
      for (let i = 0; i < 2; i++) expect((await send(t.auth, t.number)).status).toBe(202);
      const res = await send(t.auth, t.number);
      expect(res.status, res.text).toBe(429);
      expect(res.body).toEqual({
        error: 'rate_limit_exceeded',
        message: 'SMS daily limit exceeded (2/2)',
        limit_type: 'daily_sms_client',
        period: 'daily',
        number: t.number,
        current_usage: 2,
        limit: 2,
      });
      // One minute to local midnight in New York.
      expect(res.headers.get('retry-after')).toBe('60');
      expect(await app.bus.pending(app.names.streams.carrier)).toBe(carrierBefore + 2);
      expect(await app.bus.pending(app.names.streams.in)).toBe(0);
      // The queued legs are held back up to DEFAULT_HOLD_MS (RecordWriter.hold); then exactly two.
      await new Promise((r) => setTimeout(r, DEFAULT_HOLD_MS + 100));
      const { total } = await app.store.records.history({ clientId: t.id, page: 1, perPage: 10 });
      expect(total).toBe(2);
    });

    it.skipIf(pg.skip)('answers bicom clients in their error shape', async () => {
      const t = await tenant(app, { format: 'bicom', numberLimits: { smsBurstLimit: 1 } });
      expect((await send(t.auth, t.number)).status).toBe(200);
      const res = await send(t.auth, t.number);
      expect(res.status).toBe(429);
      expect(res.body).toEqual({ status: 'error', message: 'SMS burst limit exceeded (1/1)' });
    });

    it.skipIf(pg.skip)('counts a long SMS by its segments', async () => {
      const t = await tenant(app, { limits: { smsDailyLimit: 3 } });
      expect((await send(t.auth, t.number, 'x'.repeat(306))).status).toBe(202);
      const res = await send(t.auth, t.number, 'x'.repeat(161));
      expect(res.status).toBe(429);
      expect(res.body.message).toBe('SMS daily limit exceeded (2/3)');
    });

    it.skipIf(pg.skip)(
      "answers an inbound carrier message over the receiver's limit_both quota with 200 and records it rejected",
      async () => {
        const t = await tenant(app, { limits: { smsDailyLimit: 1, limitBoth: true } });
        expect((await send(t.auth, t.number)).status).toBe(202);
        const webhooksBefore = await app.bus.pending(app.names.streams.webhook);
        const form = new URLSearchParams({
          MessageSid: `SM${Date.now()}`,
          AccountSid: 'AC1',
          From: '+14155550777',
          To: t.number,
          Body: 'hi there',
          NumMedia: '0',
        }).toString();
        const res = await call(app, 'POST', `/inbound/${t.carrierUuid}`, undefined, form, 'application/x-www-form-urlencoded');
        expect(res.status, res.text).toBe(200);
        expect(await app.bus.pending(app.names.streams.webhook)).toBe(webhooksBefore);
        const { records } = await app.store.records.history({ clientId: t.id, direction: 'inbound', page: 1, perPage: 10 });
        expect(records).toEqual([
          expect.objectContaining({ status: 'rejected', error: 'SMS daily limit exceeded (1/1)', from: '+14155550777' }),
        ]);
      },
    );

    it.skipIf(pg.skip)("counts a carrier's resent inbound webhook once, as the bus stores it once", async () => {
      const t = await tenant(app, { limits: { smsDailyLimit: 2, limitBoth: true } });
      const webhooksBefore = await app.bus.pending(app.names.streams.webhook);
      const form = new URLSearchParams({
        MessageSid: `SM${Date.now()}resent`,
        AccountSid: 'AC1',
        From: '+14155550777',
        To: t.number,
        Body: 'sent three times',
        NumMedia: '0',
      }).toString();
      for (let i = 0; i < 3; i++) {
        const res = await call(app, 'POST', `/inbound/${t.carrierUuid}`, undefined, form, 'application/x-www-form-urlencoded');
        expect(res.status, res.text).toBe(200);
      }
      expect(await app.bus.pending(app.names.streams.webhook)).toBe(webhooksBefore + 1);
      // And the ledger has it once: the repeats left no leg queued under their own fresh ids.
      await new Promise((r) => setTimeout(r, DEFAULT_HOLD_MS + 100));
      const { total } = await app.store.records.history({ clientId: t.id, direction: 'inbound', page: 1, perPage: 10 });
      expect(total).toBe(1);
      // One unit used of two: the client can still send one message, not none.
      expect((await send(t.auth, t.number)).status).toBe(202);
      expect((await send(t.auth, t.number)).status).toBe(429);
    });

    it.skipIf(pg.skip)('delivers an inbound carrier message when the receiver has no limit_both', async () => {
      const t = await tenant(app, { limits: { smsDailyLimit: 1 } });
      expect((await send(t.auth, t.number)).status).toBe(202);
      const webhooksBefore = await app.bus.pending(app.names.streams.webhook);
      const form = new URLSearchParams({
        MessageSid: `SM${Date.now()}x`,
        AccountSid: 'AC1',
        From: '+14155550777',
        To: t.number,
        Body: 'hi',
        NumMedia: '0',
      }).toString();
      expect((await call(app, 'POST', `/inbound/${t.carrierUuid}`, undefined, form, 'application/x-www-form-urlencoded')).status).toBe(200);
      expect(await app.bus.pending(app.names.streams.webhook)).toBe(webhooksBefore + 1);
    });

    it.skipIf(pg.skip)("reports usage in upstream's shape and reads a new day as zero right after midnight", async () => {
      const t = await tenant(app, {
        timezone: 'America/New_York',
        limits: { smsDailyLimit: 5, mmsMonthlyLimit: 2 },
        numberLimits: { smsDailyLimit: 3 },
      });
      await send(t.auth, t.number);
      await send(t.auth, t.number, 'y'.repeat(200));
      const before = await call(app, 'GET', '/messages/usage', t.auth);
      expect(before.status, before.text).toBe(200);
      expect(before.body).toEqual({
        client: {
          username: expect.any(String),
          type: 'web',
          sms: {
            burst: { current_usage: 3, limit: 0, remaining: null },
            daily: { current_usage: 3, limit: 5, remaining: 2 },
            monthly: { current_usage: 3, limit: 0, remaining: null },
          },
          mms: {
            burst: { current_usage: 0, limit: 0, remaining: null },
            daily: { current_usage: 0, limit: 0, remaining: null },
            monthly: { current_usage: 0, limit: 2, remaining: 2 },
          },
        },
        numbers: [
          {
            number: t.number,
            direction: 'outbound',
            sms: { current_usage: 3, limit: 3 },
            mms: { current_usage: 0, limit: 0 },
            limit_both: false,
            tag: 'support',
          },
        ],
        timezone: 'America/New_York',
        reset_times: { burst: '2024-03-10T00:00:00-05:00', daily: '2024-03-10T00:00:00-05:00', monthly: '2024-04-01T00:00:00-04:00' },
        timestamp: '2024-03-09T23:59:00-05:00',
      });
      time.set('2024-03-10T00:00:00-05:00');
      const after = await call(app, 'GET', '/messages/usage', t.auth);
      expect((after.body.client as { sms: unknown }).sms).toMatchObject({ daily: { current_usage: 0 }, monthly: { current_usage: 3 } });
      expect(after.body.reset_times).toEqual({
        burst: '2024-03-10T00:01:00-05:00',
        daily: '2024-03-11T00:00:00-04:00',
        monthly: '2024-04-01T00:00:00-04:00',
      });
      expect(after.body.timestamp).toBe('2024-03-10T00:00:00-05:00');
    });

    it.skipIf(pg.skip)("limits an API key per minute across requests (429 with upstream's body)", async () => {
      const t = await tenant(app);
      const { key } = await createKey(app, t.id, 2);
      const bearer = `Bearer ${key}`;
      expect((await call(app, 'GET', '/messages/usage', bearer)).status).toBe(200);
      expect((await send(bearer, t.number)).status).toBe(202);
      const res = await call(app, 'GET', '/messages/usage', bearer);
      expect(res.status).toBe(429);
      expect(res.body).toEqual({ error: 'rate_limit_exceeded', message: 'API key rate limit exceeded (2 requests/minute)', rate_limit: 2 });
    });
  });
});

/** A `gw_live_` key stored the way the admin API stores it. */
async function createKey(app: QuotaApp, clientId: number, rateLimit: number): Promise<{ key: string }> {
  const { createHash, randomBytes } = await import('node:crypto');
  const key = `gw_live_${randomBytes(32).toString('hex')}`;
  await app.store.apiKeys.create({
    clientId,
    name: 'test',
    keyHash: createHash('sha256').update(key).digest('hex'),
    keyPrefix: key.slice(0, 16),
    scopes: 'send,batch,usage',
    rateLimit,
    expiresAt: null,
    allowedNumberIds: [],
  });
  await app.directory.reloadAll();
  return { key };
}
