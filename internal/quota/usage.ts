import type { ClientDetails } from '../store/index.js';
import type { Counters } from './counters.js';
import { PERIODS, PeriodCalendar, resolveZone, type Period, type PeriodWindows } from './periods.js';
import { clientKey, limitOf, numberKey } from './plan.js';
import type { NumberUsage, PeriodUsage, QuotaMessageType, QuotaUsage, UsageReport } from './types.js';

const TYPES: readonly QuotaMessageType[] = ['sms', 'mms'];

export interface CounterQuotaUsageDeps {
  counters: Counters;
  /** Injectable clock, ms since the epoch. Default Date.now. */
  now?: () => number;
}

/**
 * GET /messages/usage from the quota counters: a fixed number of reads per client (six, plus two
 * per number), whatever the size of the message ledger. The counters are named by period
 * (`d20240310`), so right after local midnight or the 1st the new period's counter, which does
 * not exist yet, reads 0.
 */
export class CounterQuotaUsage implements QuotaUsage {
  readonly #calendar = new PeriodCalendar();
  readonly #now: () => number;

  constructor(private readonly deps: CounterQuotaUsageDeps) {
    this.#now = deps.now ?? Date.now;
  }

  async report(client: ClientDetails): Promise<UsageReport> {
    const nowMs = this.#now();
    const zone = resolveZone(client.timezone);
    const windows = this.#calendar.windows(nowMs, zone);
    const clientKeys = TYPES.flatMap((type) => PERIODS.map((p) => clientKey(client.id, type, windows[p].id)));
    const numberKeys = client.numbers.flatMap((n) => TYPES.map((type) => numberKey(client.id, n.number, type, windows.daily.id)));
    const values = await this.deps.counters.read([...clientKeys, ...numberKeys]);
    return {
      timezone: client.timezone,
      zone,
      nowMs,
      client: clientBlock(client, values.slice(0, clientKeys.length)),
      numbers: numberBlocks(client, values.slice(clientKeys.length)),
      resetsAtMs: resets(windows),
    };
  }
}

function clientBlock(client: ClientDetails, values: number[]): UsageReport['client'] {
  const block = {} as UsageReport['client'];
  TYPES.forEach((type, t) => {
    block[type] = {} as Record<Period, PeriodUsage>;
    PERIODS.forEach((period, p) => {
      block[type][period] = { used: values[t * PERIODS.length + p]!, limit: limitOf(client.settings, type, period) };
    });
  });
  return block;
}

function numberBlocks(client: ClientDetails, values: number[]): NumberUsage[] {
  return client.numbers.map((n, i) => ({
    number: n.number,
    tag: n.tag,
    group: n.group,
    limitBoth: n.settings?.limitBoth ?? false,
    daily: {
      sms: { used: values[i * 2]!, limit: limitOf(n.settings, 'sms', 'daily') },
      mms: { used: values[i * 2 + 1]!, limit: limitOf(n.settings, 'mms', 'daily') },
    },
  }));
}

function resets(windows: PeriodWindows): Record<Period, number> {
  return { burst: windows.burst.endMs, daily: windows.daily.endMs, monthly: windows.monthly.endMs };
}
