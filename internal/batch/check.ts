import { normalizeE164 } from '../../proto/e164.js';
import { PERIODS, type QuotaMessageType, type UsageReport } from '../quota/index.js';

type Json = Record<string, unknown>;

interface Figure {
  current_usage: number;
  limit: number;
  remaining: number | null;
}

function figure(used: number, limit: number): Figure {
  return { current_usage: used, limit, remaining: limit > 0 ? Math.max(0, limit - used) : null };
}

/**
 * The answer of POST /messages/batch/check (upstream §5.10): whether `count` messages of `type`
 * from `from` fit in what is left of the client's burst, daily and monthly limits and the
 * number's daily limit (its own, else the client's). Nothing is counted or sent. `reason` names
 * the last limit that would be exceeded.
 */
export function checkAnswer(report: UsageReport, from: string, type: QuotaMessageType, count: number): Json {
  const limits: Record<string, Figure> = {};
  let reason: string | undefined;
  for (const period of PERIODS) {
    const { used, limit } = report.client[type][period];
    const f = (limits[period] = figure(used, limit));
    if (f.remaining !== null && f.remaining < count) {
      reason = `${type} ${period} limit would be exceeded (${f.remaining} remaining, ${count} requested)`;
    }
  }
  const number = report.numbers.find((n) => (normalizeE164(n.number) ?? n.number) === from);
  let numberLimit: Json | undefined;
  if (number) {
    const own = number.daily[type];
    const f = figure(own.used, own.limit > 0 ? own.limit : report.client[type].daily.limit);
    numberLimit = { number: from, ...f };
    if (f.remaining !== null && f.remaining < count) {
      reason = `number daily limit would be exceeded (${f.remaining} remaining, ${count} requested)`;
    }
  }
  return {
    allowed: reason === undefined,
    message_count: count,
    msg_type: type,
    from,
    limits,
    ...(numberLimit ? { number_limit: numberLimit } : {}),
    ...(reason ? { reason } : {}),
  };
}
