import { describe, expect, it } from 'vitest';
import type { UsageReport } from '../quota/index.js';
import { checkAnswer } from './check.js';

const period = (used: number, limit: number) => ({ used, limit });

function report(daily: { used: number; limit: number }, numberLimit: number): UsageReport {
  const none = { burst: period(0, 0), daily: period(0, 0), monthly: period(0, 0) };
  return {
    timezone: '',
    zone: 'UTC',
    nowMs: 0,
    resetsAtMs: { burst: 0, daily: 0, monthly: 0 },
    client: { sms: { burst: period(2, 100), daily, monthly: period(10, 0) }, mms: none },
    numbers: [
      {
        number: '12505551234',
        tag: '',
        group: '',
        limitBoth: false,
        daily: { sms: { used: daily.used, limit: numberLimit }, mms: { used: 0, limit: 0 } },
      },
    ],
  };
}

describe('checkAnswer (POST /messages/batch/check)', () => {
  it('allows a batch that fits every limit, remaining null where there is none', () => {
    expect(checkAnswer(report(period(150, 1000), 0), '+12505551234', 'sms', 50)).toEqual({
      allowed: true,
      message_count: 50,
      msg_type: 'sms',
      from: '+12505551234',
      limits: {
        burst: { current_usage: 2, limit: 100, remaining: 98 },
        daily: { current_usage: 150, limit: 1000, remaining: 850 },
        monthly: { current_usage: 10, limit: 0, remaining: null },
      },
      number_limit: { number: '+12505551234', current_usage: 150, limit: 1000, remaining: 850 },
    });
  });

  it('refuses with the last limit that would be exceeded', () => {
    const answer = checkAnswer(report(period(150, 1000), 0), '+12505551234', 'sms', 900);
    expect(answer.allowed).toBe(false);
    expect(answer.reason).toBe('number daily limit would be exceeded (850 remaining, 900 requested)');
  });

  it("uses the number's own daily limit before the client's", () => {
    const answer = checkAnswer(report(period(150, 1000), 200), '+12505551234', 'sms', 60);
    expect(answer).toMatchObject({
      allowed: false,
      number_limit: { limit: 200, remaining: 50 },
      reason: 'number daily limit would be exceeded (50 remaining, 60 requested)',
    });
  });
});
