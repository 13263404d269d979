import type { Router } from '@koa/router';
import { effectiveNumberSettings } from '../../directory/index.js';
import { NotFoundError } from '../../errors/index.js';
import { z } from 'zod';
import type { ClientDetails, ClientNumber } from '../../store/index.js';
import type { ApiDocs } from '../api-docs.js';
import { autoReplyViewDto, numberDto } from '../dto.js';
import type { AutoReplyDefaults, WebDeps } from '../types.js';
import { onceInQuery, parseId, parseQuery, pathIds } from '../validation.js';
import { autoReplyView, numberView } from '../views.js';
import { filterNumbers, numberFilterQuery } from './numbers.js';

const limitSource = z.object({ limit: z.number().int(), source: z.enum(['number', 'client', 'none']), limit_both: z.boolean() });
const periodLimits = z.object({ burst: limitSource, daily: limitSource, monthly: limitSource });

/** GET /numbers/{id}/effective-settings. */
export const effectiveSettingsView = z
  .object({
    number_id: z.number().int(),
    number: z.string(),
    client_id: z.number().int(),
    tag: z.string(),
    group: z.string(),
    carrier: z.string(),
    webhook: z.object({ url: z.string(), source: z.string() }),
    limits: z.object({ sms: periodLimits, mms: periodLimits }),
    auto_reply: autoReplyView.omit({ number_id: true, number: true }),
    timezone: z.string(),
    api_format: z.string(),
    auth_method: z.string().nullable(),
  })
  .meta({ id: 'EffectiveSettings' });

/** GET /numbers: the tag and group filters, and a client. */
const numberLookupQuery = numberFilterQuery.extend({
  client_id: onceInQuery(z.string(), 'Give the client_id filter once').meta({ description: "only this client's numbers" }),
});

const NO_AUTO_REPLY: AutoReplyDefaults = { enabled: false, defaultMessage: '' };

/**
 * What applies to a number and where it comes from (upstream §13.4): limits, limit_both and the
 * webhook per level, auto-reply resolved, and the client-only settings.
 */
export function effectiveSettingsDto(
  number: ClientNumber,
  client: ClientDetails,
  autoReply: AutoReplyDefaults,
): z.input<typeof effectiveSettingsView> {
  const view = effectiveNumberSettings(number, client);
  const limit = (l: { limit: number; source: 'number' | 'client' | 'none'; limitBoth: boolean }) => ({
    limit: l.limit,
    source: l.source,
    limit_both: l.limitBoth,
  });
  const periods = (type: 'sms' | 'mms') => ({
    burst: limit(view.limits[type].burst),
    daily: limit(view.limits[type].daily),
    monthly: limit(view.limits[type].monthly),
  });
  const { number_id: _id, number: _n, ...autoReplyView } = autoReplyViewDto(number, autoReply);
  return {
    number_id: number.id,
    number: number.number,
    client_id: client.id,
    tag: number.tag,
    group: number.group,
    carrier: number.carrier,
    webhook: view.webhook,
    limits: { sms: periods('sms'), mms: periods('mms') },
    auto_reply: autoReplyView,
    timezone: client.timezone,
    api_format: client.settings?.apiFormat ?? 'generic',
    auth_method: client.settings?.authMethod ?? null,
  };
}

/**
 * GET /numbers[?tag=&group=&client_id=], GET /numbers/{id} and GET /numbers/{id}/effective-settings:
 * numbers across clients, an extension of upstream's per-client listing (§5.4), answered from
 * the directory.
 */
export function registerNumberLookupRoutes(router: Router, deps: WebDeps): void {
  const { directory } = deps;
  const autoReply = deps.autoReply ?? NO_AUTO_REPLY;

  const numberOf = (raw: string | undefined): { number: ClientNumber; client: ClientDetails } => {
    const number = directory.number(parseId(raw, 'Invalid number ID'));
    const client = number && directory.client(number.clientId);
    if (!number || !client) throw new NotFoundError('Number not found');
    return { number, client };
  };

  router.get('/numbers', (ctx) => {
    const { client_id: clientId, ...filter } = parseQuery(numberLookupQuery, ctx.query);
    const clients = clientId === undefined ? directory.clients() : [directory.client(parseId(clientId, 'Invalid client ID'))];
    const numbers = clients.flatMap((client) => client?.numbers ?? []).sort((a, b) => a.id - b.id);
    ctx.body = filterNumbers(numbers, filter).map(numberDto);
  });

  router.get('/numbers/:id', (ctx) => {
    ctx.body = numberDto(numberOf(ctx.params.id).number);
  });

  router.get('/numbers/:id/effective-settings', (ctx) => {
    const { number, client } = numberOf(ctx.params.id);
    ctx.body = effectiveSettingsDto(number, client, autoReply);
  });
}

/** The API document's entries for registerNumberLookupRoutes. */
export function documentNumberLookupRoutes(api: ApiDocs): void {
  const base = { tag: 'Numbers', auth: 'admin' } as const;
  api.route({
    ...base,
    method: 'get',
    path: '/numbers',
    summary: "Every client's numbers, filtered",
    query: numberLookupQuery,
    responses: { 200: { description: 'The numbers, by id', schema: z.array(numberView) } },
  });
  api.route({
    ...base,
    method: 'get',
    path: '/numbers/{id}',
    summary: 'Show a number',
    params: pathIds('id'),
    responses: { 200: { description: 'The number', schema: numberView } },
  });
  api.route({
    ...base,
    method: 'get',
    path: '/numbers/{id}/effective-settings',
    summary: 'What applies to a number and where it comes from',
    params: pathIds('id'),
    responses: { 200: { description: 'The resolved settings', schema: effectiveSettingsView } },
  });
}
