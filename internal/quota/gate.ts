import { normalizeE164 } from '../../proto/e164.js';
import type { Logger } from '../log/index.js';
import type { Counters } from './counters.js';
import { PeriodCalendar, resolveZone } from './periods.js';
import { planCounters, type CounterStep, type Enforced } from './plan.js';
import type { Admission, QuotaDecision, QuotaGate, QuotaRefusal, QuotaRequest, QuotaView } from './types.js';

export interface CounterQuotaGateDeps {
  counters: Counters;
  view: QuotaView;
  logger: Logger;
  /** Injectable clock, ms since the epoch. Default Date.now. */
  now?: () => number;
}

const NOTHING_COUNTED: Admission = { admitted: true, refund: async () => undefined };

/**
 * The quota gate on shared counters (counters.ts).
 *
 * Consume, then refund: every counter of the plan is incremented at once (each INCRBY is atomic,
 * so concurrent admits on any number of nodes each see a distinct running total), and if any
 * checked total went over its limit, every increment of this request is taken back before the
 * refusal is returned. This never admits more than a limit: a total above the limit is never
 * admitted, and an admitted total is ≤ the limit. The cost is at the edge only: while a refused
 * request's units are still counted (one round trip), a concurrent request may see them and be
 * refused too, so under contention exactly at the limit a few more are refused than strictly
 * needed, never more admitted. The alternative, one Lua script that checks every key and then
 * increments them, would bypass rate-limiter-flexible and its memory twin for the embedded default.
 */
export class CounterQuotaGate implements QuotaGate {
  readonly #calendar = new PeriodCalendar();
  readonly #now: () => number;

  constructor(private readonly deps: CounterQuotaGateDeps) {
    this.#now = deps.now ?? Date.now;
  }

  async admit(request: QuotaRequest): Promise<QuotaDecision> {
    const client = this.deps.view.client(request.clientId);
    // A client unknown here has no settings, so no limits; its message fails elsewhere.
    if (!client) return NOTHING_COUNTED;
    const nowMs = this.#now();
    const windows = this.#calendar.windows(nowMs, resolveZone(client.timezone));
    const steps = planCounters(request, client, windows, nowMs);
    const units = Math.max(1, Math.ceil(request.units));
    const totals = await this.addAll(steps, units);
    const refusal = firstExceeded(steps, totals, units, request, nowMs);
    if (!refusal) return { admitted: true, refund: once(() => this.refund(steps, units)) };
    await this.refund(steps, units);
    return { admitted: false, refusal };
  }

  /** Adds to every counter; if any add fails, takes back those that succeeded and rethrows. */
  private async addAll(steps: CounterStep[], units: number): Promise<number[]> {
    const results = await Promise.allSettled(steps.map((s) => this.deps.counters.add(s.key, units, s.ttlSecs)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failed) return results.map((r) => (r as PromiseFulfilledResult<{ total: number }>).value.total);
    await this.refund(steps.filter((_, i) => results[i]!.status === 'fulfilled'), units);
    throw failed.reason;
  }

  /** Takes `units` back from each counter. A failure leaves an over-count, logged, never thrown. */
  private async refund(steps: CounterStep[], units: number): Promise<void> {
    const results = await Promise.allSettled(steps.map((s) => this.deps.counters.remove(s.key, units, s.ttlSecs)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed > 0) this.deps.logger.warn({ failed, units }, 'could not refund quota units; usage stays over-counted');
  }
}

/** The first checked counter over its limit, in burst → daily → monthly order (the plan's order). */
function firstExceeded(steps: CounterStep[], totals: number[], units: number, request: QuotaRequest,
  nowMs: number): QuotaRefusal | undefined {
  const index = steps.findIndex((s, i) => s.enforced !== undefined && totals[i]! > s.enforced.limit);
  if (index < 0) return undefined;
  return refusalOf(steps[index]!.enforced!, totals[index]! - units, request, nowMs);
}

function refusalOf(e: Enforced, currentUsage: number, request: QuotaRequest, nowMs: number): QuotaRefusal {
  // What was used before this message; concurrent refused requests can make it read above the limit.
  const used = Math.min(Math.max(0, currentUsage), Math.max(e.limit, 0));
  return {
    period: e.period,
    type: request.type,
    level: e.level,
    limitType: `${e.period}_${request.type}_${e.level}`,
    limit: e.limit,
    currentUsage: used,
    resetsAtMs: e.resetsAtMs,
    retryAfterMs: Math.max(0, e.resetsAtMs - nowMs),
    number: normalizeE164(request.number) ?? request.number,
    message: `${request.type.toUpperCase()} ${e.period} limit exceeded (${used}/${e.limit})`,
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}
