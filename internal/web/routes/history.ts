import type { Router } from '@koa/router';
import { z } from 'zod';
import { normalizeE164 } from '../../../proto/e164.js';
import { ValidationError } from '../../errors/index.js';
import type { HistoryQuery, RecordDirection } from '../../store/index.js';
import { hasControlCharacter } from '../../text/index.js';
import type { ApiDocs } from '../api-docs.js';
import { recordDto } from '../dto.js';
import { clientAuthOf, requireScope } from '../middleware/client-auth.js';
import type { WebDeps } from '../types.js';
import { parseQuery, queryParam } from '../validation.js';
import { recordView } from '../views.js';

/** Upstream's page sizes for /messages/history (Appendix A). */
export const HISTORY_DEFAULT_PER_PAGE = 50;
export const HISTORY_MAX_PER_PAGE = 200;

const DAY_MS = 86_400_000;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * `YYYY-MM-DD` (UTC midnight; for `until` the whole day is included) or RFC 3339. A '+' of an
 * offset sent unencoded arrives as a space, so that space is read as '+'.
 */
export function parseHistoryDate(raw: string, name: string, endOfDay: boolean): Date | undefined {
  if (raw === '') return undefined;
  const day = DATE_ONLY.exec(raw);
  if (day) {
    const [, y, m, d] = day.map(Number) as [number, number, number, number];
    const start = Date.UTC(y, m - 1, d);
    const date = new Date(start);
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
      throw new ValidationError(`Invalid ${name} date "${raw}"`);
    }
    return endOfDay ? new Date(start + DAY_MS - 1) : date;
  }
  const text = raw.replace(/ (\d{2}:\d{2})$/, '+$1');
  const ms = RFC3339.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ValidationError(`Invalid ${name} "${raw}": use YYYY-MM-DD or RFC 3339 (2024-05-01T00:00:00Z)`);
  }
  return new Date(ms);
}

/** A positive page number or size; anything else gives the default, as upstream's Atoi did. */
export function positive(raw: string, fallback: number): number {
  if (!/^\d{1,9}$/.test(raw)) return fallback;
  const value = Number(raw);
  return value >= 1 ? value : fallback;
}

function oneOf<T extends string>(raw: string, name: string, allowed: readonly T[]): T | undefined {
  if (raw === '') return undefined;
  const value = raw.toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(`Invalid ${name} "${raw}": use ${allowed.join(' or ')}`);
  }
  return value as T;
}

/**
 * A number filter in canonical form when it is a number; the store also tries it without '+'.
 * A control character (a NUL would fail the database query) is a 400.
 */
function numberFilter(raw: string, name: string): string | undefined {
  if (raw === '') return undefined;
  if (hasControlCharacter(raw)) throw new ValidationError(`Invalid ${name} filter: it holds a control character`);
  return normalizeE164(raw) ?? raw;
}

/** The query of GET /messages/history; a repeated parameter counts once (its first value). */
const historyQuerySchema = z.object({
  from: queryParam((raw) => numberFilter(raw, 'from')).meta({ description: 'a number in any spelling, matched with and without +' }),
  to: queryParam((raw) => numberFilter(raw, 'to')).meta({ description: 'a number in any spelling, matched with and without +' }),
  type: queryParam((raw) => oneOf(raw, 'type', ['sms', 'mms'] as const)).meta({ description: 'sms or mms' }),
  direction: queryParam((raw) => oneOf<RecordDirection>(raw, 'direction', ['inbound', 'outbound'])).meta({
    description: 'inbound or outbound',
  }),
  since: queryParam((raw) => parseHistoryDate(raw, 'since', false)).meta({ description: 'YYYY-MM-DD (UTC) or RFC 3339' }),
  until: queryParam((raw) => parseHistoryDate(raw, 'until', true)).meta({
    description: 'YYYY-MM-DD (UTC, the whole day included) or RFC 3339',
  }),
  page: queryParam((raw) => positive(raw, 1)).meta({ description: 'default 1' }),
  per_page: queryParam((raw) => Math.min(positive(raw, HISTORY_DEFAULT_PER_PAGE), HISTORY_MAX_PER_PAGE)).meta({
    description: `default ${HISTORY_DEFAULT_PER_PAGE}, at most ${HISTORY_MAX_PER_PAGE}`,
  }),
});

/** The store query of a /messages/history request (upstream §5.9). */
export function historyQuery(clientId: number, query: unknown): HistoryQuery {
  const { per_page: perPage, ...filters } = parseQuery(historyQuerySchema, query);
  return { clientId, ...filters, perPage };
}

/**
 * GET /messages/history (scope `usage`): the caller's message records, newest first, with
 * `X-Total-Count`, `X-Page` and `X-Per-Page`. Upstream's from/to filters failed on PostgreSQL;
 * here they match the number with and without its '+'.
 */
export function registerHistoryRoutes(router: Router, deps: Pick<WebDeps, 'store'>): void {
  router.get('/messages/history', requireScope('usage'), async (ctx) => {
    const query = historyQuery(clientAuthOf(ctx).client.id, ctx.query);
    const { records, total } = await deps.store.records.history(query);
    ctx.set('X-Total-Count', String(total));
    ctx.set('X-Page', String(query.page));
    ctx.set('X-Per-Page', String(query.perPage));
    ctx.body = {
      messages: records.map(recordDto),
      total_count: total,
      page: query.page,
      per_page: query.perPage,
    } satisfies z.input<typeof historyView>;
  });
}

const historyView = z
  .object({
    messages: z.array(recordView),
    total_count: z.number().int(),
    page: z.number().int(),
    per_page: z.number().int(),
  })
  .meta({ id: 'History' });

/** The API document's entries for registerHistoryRoutes. */
export function documentHistoryRoutes(api: ApiDocs): void {
  api.route({
    tag: 'Messages',
    auth: 'client',
    method: 'get',
    path: '/messages/history',
    summary: "The caller's message records, newest first (API keys: scope usage)",
    query: historyQuerySchema,
    responses: { 200: { description: 'A page, also counted in X-Total-Count, X-Page and X-Per-Page', schema: historyView } },
  });
}
