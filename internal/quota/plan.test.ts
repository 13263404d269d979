import { describe, expect, it } from 'vitest';
import { PeriodCalendar } from './periods.js';
import { PlanCache } from './plan.js';
import { quotaClient } from './testing.js';
import type { QuotaRequest } from './types.js';

const A = '+14155550100';
const request: QuotaRequest = { clientId: 1, number: A, type: 'sms', units: 1, direction: 'outbound' };

describe('PlanCache', () => {
  const calendar = new PeriodCalendar();
  const at = (t: number) => calendar.windows(t, 'UTC');

  it('reuse a plan within its burst minute and make a new one in the next', () => {
    const cache = new PlanCache();
    const client = quotaClient(1, { numbers: [{ number: A }] });
    const t = Date.parse('2024-05-10T12:00:05Z');
    const first = cache.plan(request, client, t, at);
    expect(cache.plan(request, client, t + 54_000, at)).toBe(first);
    const next = cache.plan(request, client, Date.parse('2024-05-10T12:01:00Z'), at);
    expect(next).not.toBe(first);
    expect(next.steps.map((s) => s.key)).not.toEqual(first.steps.map((s) => s.key));
    expect(first.limits).toEqual(first.steps.map((s) => ({ key: s.key, ttlSecs: s.ttlSecs, limit: undefined })));
  });

  it('plan again for a changed client (a new object) and for another request shape', () => {
    const cache = new PlanCache();
    const t = Date.parse('2024-05-10T12:00:05Z');
    const before = cache.plan(request, quotaClient(1, { numbers: [{ number: A }] }), t, at);
    const limited = cache.plan(request, quotaClient(1, { limits: { smsDailyLimit: 5 }, numbers: [{ number: A }] }), t, at);
    expect(before.limits.some((l) => l.limit)).toBe(false);
    expect(limited.limits.filter((l) => l.limit === 5)).toHaveLength(1);
    const client = quotaClient(1, { numbers: [{ number: A }] });
    const sms = cache.plan(request, client, t, at);
    expect(cache.plan({ ...request, type: 'mms' }, client, t, at)).not.toBe(sms);
  });

  it('end a plan at midnight even inside a minute of a half-hour zone', () => {
    const cache = new PlanCache();
    const client = quotaClient(1, { numbers: [{ number: A }] });
    const kolkata = (t: number) => calendar.windows(t, 'Asia/Kolkata');
    const plan = cache.plan(request, client, Date.parse('2024-06-01T18:29:30Z'), kolkata);
    expect(plan.untilMs).toBe(Date.parse('2024-06-01T18:30:00Z'));
    expect(cache.plan(request, client, Date.parse('2024-06-01T18:30:00Z'), kolkata)).not.toBe(plan);
  });
});
