import { describe, expect, it } from 'vitest';
import { PlanCache } from './plan.js';
import { quotaClient } from '../../test/support/quota-fixtures.js';
import type { QuotaRequest } from './types.js';

const A = '+14155550100';
const request: QuotaRequest = { clientId: 1, number: A, type: 'sms', units: 1, direction: 'outbound' };

describe('PlanCache', () => {
  it('reuse a plan within its burst minute and make a new one in the next', () => {
    const cache = new PlanCache();
    const client = quotaClient(1, { numbers: [{ number: A }] });
    const t = Date.parse('2024-05-10T12:00:05Z');
    const first = cache.plan(request, client, t);
    expect(cache.plan(request, client, t + 54_000)).toBe(first);
    const next = cache.plan(request, client, Date.parse('2024-05-10T12:01:00Z'));
    expect(next).not.toBe(first);
    expect(next.steps.map((s) => s.key)).not.toEqual(first.steps.map((s) => s.key));
    expect(first.limits).toEqual(first.steps.map((s) => ({ key: s.key, ttlSecs: s.ttlSecs, limit: undefined })));
  });

  it('plan again for a changed client (a new object) and for another request shape', () => {
    const cache = new PlanCache();
    const t = Date.parse('2024-05-10T12:00:05Z');
    const before = cache.plan(request, quotaClient(1, { numbers: [{ number: A }] }), t);
    const limited = cache.plan(request, quotaClient(1, { limits: { smsDailyLimit: 5 }, numbers: [{ number: A }] }), t);
    expect(before.limits.some((l) => l.limit)).toBe(false);
    expect(limited.limits.filter((l) => l.limit === 5)).toHaveLength(1);
    const client = quotaClient(1, { numbers: [{ number: A }] });
    const sms = cache.plan(request, client, t);
    expect(cache.plan({ ...request, type: 'mms' }, client, t)).not.toBe(sms);
  });

  it("make a new plan with the new day's counters at local midnight of the client's zone", () => {
    const cache = new PlanCache();
    const client = quotaClient(1, { timezone: 'Asia/Kolkata', numbers: [{ number: A }] });
    const daily = (plan: { steps: Array<{ key: string }> }) => plan.steps.map((s) => s.key).filter((k) => /:d\d+$/.test(k));
    const before = cache.plan(request, client, Date.parse('2024-06-01T18:29:30Z'));
    expect(before.untilMs).toBe(Date.parse('2024-06-01T18:30:00Z'));
    const after = cache.plan(request, client, Date.parse('2024-06-01T18:30:00Z'));
    expect(daily(before)).toEqual(['c1:sms:d20240601', 'c1:n14155550100:sms:d20240601']);
    expect(daily(after)).toEqual(['c1:sms:d20240602', 'c1:n14155550100:sms:d20240602']);
  });
});
