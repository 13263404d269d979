import type { Router } from '@koa/router';
import { z } from 'zod';
import { UnavailableError } from '../../errors/index.js';
import { formatInZone, PERIODS, type PeriodUsage, type UsageReport } from '../../quota/index.js';
import type { ClientDetails } from '../../store/index.js';
import type { ApiDocs } from '../api-docs.js';
import { clientAuthOf, requireScope } from '../middleware/client-auth.js';
import type { WebDeps } from '../types.js';

const periodView = z.object({ current_usage: z.number().int(), limit: z.number().int(), remaining: z.number().int().nullable() });
const typeView = z.object({ burst: periodView, daily: periodView, monthly: periodView });
const numberUsage = z.object({ current_usage: z.number().int(), limit: z.number().int() });
const usageView = z
  .object({
    client: z.object({ username: z.string(), type: z.string(), sms: typeView, mms: typeView }),
    numbers: z.array(
      z.object({
        number: z.string(),
        direction: z.literal('outbound'),
        sms: numberUsage,
        mms: numberUsage,
        limit_both: z.boolean(),
        tag: z.string().optional(),
        group: z.string().optional(),
      }),
    ),
    timezone: z.string(),
    reset_times: z.object({ burst: z.string(), daily: z.string(), monthly: z.string() }),
    timestamp: z.string(),
  })
  .meta({ id: 'Usage' });

/** `remaining` is null where there is no limit (upstream §5.9). */
function periodJson({ used, limit }: PeriodUsage): z.input<typeof periodView> {
  return { current_usage: used, limit, remaining: limit > 0 ? Math.max(0, limit - used) : null };
}

function typeJson(periods: UsageReport['client']['sms']): z.input<typeof typeView> {
  return Object.fromEntries(PERIODS.map((p) => [p, periodJson(periods[p])])) as z.input<typeof typeView>;
}

/**
 * The body of GET /messages/usage in upstream's shape (§5.9). Numbers are `+E164` like every
 * other answer; a number's `limit` is its own daily limit (0 = it inherits the client's) and
 * `current_usage` its own daily usage. Times are RFC 3339 in the client's zone.
 */
export function usageBody(client: ClientDetails, report: UsageReport): z.input<typeof usageView> {
  const at = (ms: number) => formatInZone(ms, report.zone);
  return {
    client: { username: client.username, type: client.type, sms: typeJson(report.client.sms), mms: typeJson(report.client.mms) },
    numbers: report.numbers.map((n) => ({
      number: n.number,
      direction: 'outbound' as const,
      sms: { current_usage: n.daily.sms.used, limit: n.daily.sms.limit },
      mms: { current_usage: n.daily.mms.used, limit: n.daily.mms.limit },
      limit_both: n.limitBoth,
      ...(n.tag ? { tag: n.tag } : {}),
      ...(n.group ? { group: n.group } : {}),
    })),
    timezone: report.timezone,
    reset_times: { burst: at(report.resetsAtMs.burst), daily: at(report.resetsAtMs.daily), monthly: at(report.resetsAtMs.monthly) },
    timestamp: at(report.nowMs),
  };
}

/**
 * GET /messages/usage (scope `usage`): the caller's usage in the current burst minute, local day
 * and local month, read from the quota counters (a few reads, whatever the ledger's size).
 */
export function registerUsageRoutes(router: Router, deps: Pick<WebDeps, 'usage'>): void {
  router.get('/messages/usage', requireScope('usage'), async (ctx) => {
    if (!deps.usage) throw new UnavailableError('usage counters are not configured on this node');
    const { client } = clientAuthOf(ctx);
    ctx.body = usageBody(client, await deps.usage.report(client));
  });
}

/** The API document's entries for registerUsageRoutes. */
export function documentUsageRoutes(api: ApiDocs): void {
  api.route({
    tag: 'Messages',
    auth: 'client',
    method: 'get',
    path: '/messages/usage',
    summary: "The caller's usage this minute, local day and local month (API keys: scope usage)",
    responses: {
      200: { description: 'Usage against the limits', schema: usageView },
      503: { description: 'No usage counters on this node' },
    },
  });
}
