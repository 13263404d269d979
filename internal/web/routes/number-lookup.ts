import type { Router } from '@koa/router';
import { effectiveNumberSettings } from '../../directory/index.js';
import { NotFoundError } from '../../errors/index.js';
import type { ClientDetails, ClientNumber } from '../../store/index.js';
import { autoReplyViewDto, numberDto } from '../dto.js';
import type { AutoReplyDefaults, WebDeps } from '../types.js';
import { parseId } from '../validation.js';
import { filterNumbers, queryValue } from './numbers.js';

type Json = Record<string, unknown>;

const NO_AUTO_REPLY: AutoReplyDefaults = { enabled: false, defaultMessage: '' };

/**
 * What applies to a number and where it comes from (upstream §13.4): limits, limit_both and the
 * webhook per level, auto-reply resolved, and the client-only settings.
 */
export function effectiveSettingsDto(number: ClientNumber, client: ClientDetails, autoReply: AutoReplyDefaults): Json {
  const view = effectiveNumberSettings(number, client);
  const limit = (l: { limit: number; source: string; limitBoth: boolean }) => ({ limit: l.limit, source: l.source, limit_both: l.limitBoth });
  const periods = (type: 'sms' | 'mms') => ({
    burst: limit(view.limits[type].burst), daily: limit(view.limits[type].daily), monthly: limit(view.limits[type].monthly),
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
    const clientId = queryValue(ctx, 'client_id');
    const clients = clientId === undefined ? directory.clients() : [directory.client(parseId(clientId, 'Invalid client ID'))];
    const numbers = clients.flatMap((client) => client?.numbers ?? []).sort((a, b) => a.id - b.id);
    ctx.body = filterNumbers(numbers, { tag: queryValue(ctx, 'tag'), group: queryValue(ctx, 'group') }).map(numberDto);
  });

  router.get('/numbers/:id', (ctx) => {
    ctx.body = numberDto(numberOf(ctx.params.id).number);
  });

  router.get('/numbers/:id/effective-settings', (ctx) => {
    const { number, client } = numberOf(ctx.params.id);
    ctx.body = effectiveSettingsDto(number, client, autoReply);
  });
}
