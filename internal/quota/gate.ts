import { normalizeE164 } from '../../proto/e164.js';
import { DUPLICATE_WINDOW_MS } from '../cluster/index.js';
import type { Logger } from '../log/index.js';
import type { Counters, OnceKey } from './counters.js';
import { PlanCache, type CounterStep, type Enforced } from './plan.js';
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
 * Check, then count, atomically: one `addWithin` per message (on Redis one Lua script, one round
 * trip) checks every limit that applies against its counter and increments all of the message's
 * counters only if none would go over; otherwise nothing is counted and the first limit in the
 * plan's order (burst → daily → monthly) is reported. So a limit of N admits exactly N units
 * however many nodes admit at once, a refused message never holds units that could refuse
 * another, and a refusal costs no refund. An admitted message's refund (it could not be stored)
 * is one call too. A request whose dedupKey was admitted within the bus's duplicate window (a
 * carrier's resent webhook, a router redelivery) is admitted again without counting. Messages of
 * clients without limits are still counted (the usage report reads the counters); on Redis that
 * count is written behind (write-behind.ts). Counters
 * without `addWithin` (a test double) get the older path: add to every counter, then take it all
 * back if any checked total went over.
 */
export class CounterQuotaGate implements QuotaGate {
  readonly #plans = new PlanCache();
  readonly #now: () => number;

  constructor(private readonly deps: CounterQuotaGateDeps) {
    this.#now = deps.now ?? Date.now;
  }

  async admit(request: QuotaRequest): Promise<QuotaDecision> {
    const client = this.deps.view.client(request.clientId);
    // A client unknown here has no settings, so no limits; its message fails elsewhere.
    if (!client) return NOTHING_COUNTED;
    const nowMs = this.#now();
    const { steps, limits } = this.#plans.plan(request, client, nowMs);
    // Inbound without limit_both: nothing to count or check.
    if (steps.length === 0) return NOTHING_COUNTED;
    const units = Math.max(1, Math.ceil(request.units));
    const { counters } = this.deps;
    if (!counters.addWithin) return this.addThenRefund(steps, units, request, nowMs);
    // Kept as long as the bus's duplicate window, so usage counts a message as often as the bus stores it.
    const onceKey =
      request.dedupKey === undefined
        ? undefined
        : { key: `once:${request.direction}:${request.clientId}:${request.dedupKey}`, ttlSecs: DUPLICATE_WINDOW_MS / 1000 };
    const result = await counters.addWithin(limits, units, onceKey);
    if (result.added && result.repeat) return NOTHING_COUNTED;
    if (result.added) return { admitted: true, refund: once(() => this.refund(steps, units, onceKey)) };
    return { admitted: false, refusal: refusalOf(steps[result.index]!.enforced!, result.current, request, nowMs) };
  }

  /** The path for counters without an atomic checked add: count everywhere, take back if over. */
  private async addThenRefund(steps: CounterStep[], units: number, request: QuotaRequest, nowMs: number): Promise<QuotaDecision> {
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
    await this.refund(
      steps.filter((_, i) => results[i]!.status === 'fulfilled'),
      units,
    );
    throw failed.reason;
  }

  /** Takes `units` back from each counter. A failure leaves an over-count, logged, never thrown. */
  private async refund(steps: CounterStep[], units: number, onceKey?: OnceKey): Promise<void> {
    const { counters } = this.deps;
    if (counters.addWithin && steps.length > 0) {
      try {
        // Also forgets the once key: a message given back counts again if it comes back.
        await counters.addWithin(
          steps.map((s) => ({ key: s.key, ttlSecs: s.ttlSecs })),
          -units,
          onceKey,
        );
      } catch {
        this.deps.logger.warn({ failed: steps.length, units }, 'could not refund quota units; usage stays over-counted');
      }
      return;
    }
    const results = await Promise.allSettled(steps.map((s) => counters.remove(s.key, units, s.ttlSecs)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed > 0) this.deps.logger.warn({ failed, units }, 'could not refund quota units; usage stays over-counted');
  }
}

/** The first checked counter over its limit, in burst → daily → monthly order (the plan's order). */
function firstExceeded(
  steps: CounterStep[],
  totals: number[],
  units: number,
  request: QuotaRequest,
  nowMs: number,
): QuotaRefusal | undefined {
  const index = steps.findIndex((s, i) => s.enforced !== undefined && totals[i]! > s.enforced.limit);
  if (index < 0) return undefined;
  return refusalOf(steps[index]!.enforced!, totals[index]! - units, request, nowMs);
}

function refusalOf(e: Enforced, currentUsage: number, request: QuotaRequest, nowMs: number): QuotaRefusal {
  // What was used before this message; it reads above the limit only if the limit was lowered
  // (or, on the add-then-refund path, while concurrent refused requests are still counted).
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
