/**
 * Which counters a message moves and which limits it is checked against (upstream §12.2–12.4,
 * with BUG-5/6 fixed). Pure: the gate runs the plan on the counters.
 *
 * - Every period keeps two counters: the client's (all its numbers) and the number's own. Both
 *   move on every counted message, so GET /messages/usage can show either.
 * - The limit of a (type, period) is the number's own when it is > 0, else the client's (a
 *   number's limit replaces the client's for that period, as upstream). Only that counter is
 *   checked for the period; 0 means no limit.
 * - Outbound always counts. Inbound counts only where limit_both is set: on the client counter by
 *   the client's flag, on the number counter by the number's (upstream took limit_both from the
 *   level that supplied the limit). Inbound never eats an outbound-only quota (upstream counted
 *   every ledger row, so it did).
 */
import { normalizeE164 } from '../../proto/e164.js';
import { clientNumber, type ClientDetails, type ClientNumber, type Limits } from '../store/index.js';
import type { CounterLimit } from './counters.js';
import { PERIODS, PeriodCalendar, resolveZone, type Period, type PeriodWindows } from './periods.js';
import type { LimitLevel, QuotaMessageType, QuotaRequest } from './types.js';

/**
 * Counters outlive their period by this much: a refund or a node whose clock lags a little
 * still finds the key it counted on, instead of creating a stray one.
 */
export const COUNTER_GRACE_SECS = 120;

const LIMIT_FIELD: Record<QuotaMessageType, Record<Period, keyof Limits>> = {
  sms: { burst: 'smsBurstLimit', daily: 'smsDailyLimit', monthly: 'smsMonthlyLimit' },
  mms: { burst: 'mmsBurstLimit', daily: 'mmsDailyLimit', monthly: 'mmsMonthlyLimit' },
};

/** A limit the counter is checked against. */
export interface Enforced {
  period: Period;
  level: LimitLevel;
  limit: number;
  resetsAtMs: number;
}

export interface CounterStep {
  key: string;
  ttlSecs: number;
  enforced?: Enforced;
}

/** A limit from settings: values ≤ 0 (and missing settings) mean none. */
export function limitOf(limits: Limits | null | undefined, type: QuotaMessageType, period: Period): number {
  const value = Number(limits?.[LIMIT_FIELD[type][period]] ?? 0);
  return value > 0 ? value : 0;
}

/** The client's number `raw` names, matched exactly in canonical form (BUG-1). */
export function findNumber(client: ClientDetails, raw: string): ClientNumber | undefined {
  const e164 = normalizeE164(raw) ?? raw;
  return clientNumber(client, e164);
}

/** Counter names: `c<client>:<type>:<period id>` and `c<client>:n<digits>:<type>:<period id>`. */
export function clientKey(clientId: number, type: QuotaMessageType, periodId: string): string {
  return `c${clientId}:${type}:${periodId}`;
}

export function numberKey(clientId: number, number: string, type: QuotaMessageType, periodId: string): string {
  return `c${clientId}:n${number.replace(/^\+/, '')}:${type}:${periodId}`;
}

/** The effective limit of one period (number level first), 0 limit when none applies. */
export function effectiveLimit(
  client: ClientDetails,
  number: ClientNumber | undefined,
  type: QuotaMessageType,
  period: Period,
): { level: LimitLevel; limit: number } {
  const own = limitOf(number?.settings, type, period);
  if (own > 0) return { level: 'number', limit: own };
  return { level: 'client', limit: limitOf(client.settings, type, period) };
}

/** The counters `request` moves, each with the limit it is checked against, if any. */
export function planCounters(request: QuotaRequest, client: ClientDetails, windows: PeriodWindows, nowMs: number): CounterStep[] {
  const number = findNumber(client, request.number);
  const outbound = request.direction === 'outbound';
  const clientCounts = outbound || (client.settings?.limitBoth ?? false);
  const numberCounts = number !== undefined && (outbound || (number.settings?.limitBoth ?? false));
  const steps: CounterStep[] = [];
  for (const period of PERIODS) {
    const window = windows[period];
    const ttlSecs = Math.ceil((window.endMs - nowMs) / 1000) + COUNTER_GRACE_SECS;
    const { level, limit } = effectiveLimit(client, number, request.type, period);
    const enforced = limit > 0 ? { period, level, limit, resetsAtMs: window.endMs } : undefined;
    if (clientCounts) {
      steps.push({ key: clientKey(client.id, request.type, window.id), ttlSecs, enforced: level === 'client' ? enforced : undefined });
    }
    if (numberCounts) {
      steps.push({
        key: numberKey(client.id, number.number, request.type, window.id),
        ttlSecs,
        enforced: level === 'number' ? enforced : undefined,
      });
    }
  }
  return steps;
}

/** A plan, the checked-add entries made from it, and the instants between which both hold. */
export interface CachedPlan {
  steps: CounterStep[];
  limits: CounterLimit[];
  fromMs: number;
  untilMs: number;
}

/** Request shapes remembered per client before the memory starts over (numbers × types × directions). */
const PLANS_PER_CLIENT = 1_000;

/**
 * Plans remembered while their three windows last (at most the burst minute), so the hot path
 * builds a message's six counter names once a minute, not once a message. Keyed by the client
 * object, which the directory replaces on every change (a new limit or time zone is a new
 * object, so a new plan). The counters' TTLs are computed when the plan is made: up to a minute
 * longer than at the message's instant, which only lets a counter outlive its period by a little
 * more than COUNTER_GRACE_SECS.
 */
export class PlanCache {
  readonly #calendar = new PeriodCalendar();
  readonly #byClient = new WeakMap<ClientDetails, Map<string, CachedPlan>>();

  plan(request: QuotaRequest, client: ClientDetails, nowMs: number): CachedPlan {
    let plans = this.#byClient.get(client);
    if (!plans) this.#byClient.set(client, (plans = new Map()));
    const shape = `${request.number}|${request.type}|${request.direction}`;
    const cached = plans.get(shape);
    if (cached && nowMs >= cached.fromMs && nowMs < cached.untilMs) return cached;
    const windows = this.#calendar.windows(nowMs, resolveZone(client.timezone));
    const steps = planCounters(request, client, windows, nowMs);
    const made: CachedPlan = {
      steps,
      limits: steps.map((s) => ({ key: s.key, ttlSecs: s.ttlSecs, limit: s.enforced?.limit })),
      fromMs: Math.max(...PERIODS.map((p) => windows[p].startMs)),
      untilMs: Math.min(...PERIODS.map((p) => windows[p].endMs)),
    };
    if (plans.size >= PLANS_PER_CLIENT) plans.clear();
    plans.set(shape, made);
    return made;
  }
}
