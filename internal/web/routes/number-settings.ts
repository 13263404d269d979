import type { Router } from '@koa/router';
import { z } from 'zod';
import { NotFoundError } from '../../errors/index.js';
import type { ClientNumber, NumberSettingsPatch } from '../../store/index.js';
import type { ApiDocs } from '../api-docs.js';
import { autoReplyViewDto, numberSettingsDto } from '../dto.js';
import type { AutoReplyDefaults, WebDeps } from '../types.js';
import { count, definedOnly, parseBody, parseId, pathIds } from '../validation.js';
import { autoReplyView, messageOnly, numberSettingsView, updated } from '../views.js';
import { limitFields, limitsPatch } from './settings.js';

const numberSettingsSchema = z
  .object({
    ...limitFields,
    auto_reply_enabled: z.boolean(),
    auto_reply_message: z.string(),
    auto_reply_cooldown_secs: count,
  })
  .partial()
  .meta({ id: 'NumberSettingsInput' });

const autoReplySchema = z
  .object({ enabled: z.boolean(), message: z.string(), cooldown_secs: count })
  .partial()
  .meta({ id: 'AutoReplyInput' });

/** PUT /numbers/{id}/settings body → NumberSettingsPatch. */
export function toNumberSettingsPatch(body: unknown): NumberSettingsPatch {
  const input = parseBody(numberSettingsSchema, body);
  return definedOnly({
    ...limitsPatch(input),
    autoReplyEnabled: input.auto_reply_enabled,
    autoReplyMessage: input.auto_reply_message,
    autoReplyCooldownSecs: input.auto_reply_cooldown_secs,
  });
}

/** PUT /numbers/{id}/auto-reply body → NumberSettingsPatch. */
export function toAutoReplyPatch(body: unknown): NumberSettingsPatch {
  const input = parseBody(autoReplySchema, body);
  return definedOnly({
    autoReplyEnabled: input.enabled,
    autoReplyMessage: input.message,
    autoReplyCooldownSecs: input.cooldown_secs,
  });
}

const NO_AUTO_REPLY: AutoReplyDefaults = { enabled: false, defaultMessage: '' };

/**
 * GET/PUT /numbers/{id}/settings and /numbers/{id}/auto-reply, `{id}` being the number id
 * (upstream §5.7). Reads and writes go through the same settings row (fixes BUG-17).
 */
export function registerNumberSettingsRoutes(router: Router, deps: WebDeps): void {
  const { store, directory, changes } = deps;
  const autoReply = deps.autoReply ?? NO_AUTO_REPLY;

  const cachedNumber = (raw: string | undefined): ClientNumber => {
    const number = directory.number(parseId(raw, 'Invalid number ID'));
    if (!number) throw new NotFoundError('Number not found');
    return number;
  };

  const storedNumber = async (raw: string | undefined): Promise<ClientNumber> => {
    const number = await store.numbers.get(parseId(raw, 'Invalid number ID'));
    if (!number) throw new NotFoundError('Number not found');
    return number;
  };

  router.get('/numbers/:id/settings', (ctx) => {
    const { settings } = cachedNumber(ctx.params.id);
    ctx.body = settings ? numberSettingsDto(settings) : { message: 'No settings configured for this number' };
  });

  router.put('/numbers/:id/settings', async (ctx) => {
    const patch = toNumberSettingsPatch(ctx.request.body);
    const number = await storedNumber(ctx.params.id);
    const settings = await store.numbers.upsertSettings(number.id, patch);
    await changes.announce({ kind: 'client', id: number.clientId });
    ctx.body = { message: 'Number settings updated', settings: numberSettingsDto(settings) } satisfies z.input<typeof settingsUpdated>;
  });

  router.get('/numbers/:id/auto-reply', (ctx) => {
    ctx.body = autoReplyViewDto(cachedNumber(ctx.params.id), autoReply);
  });

  router.put('/numbers/:id/auto-reply', async (ctx) => {
    const patch = toAutoReplyPatch(ctx.request.body);
    const number = await storedNumber(ctx.params.id);
    const settings = await store.numbers.upsertSettings(number.id, patch);
    await changes.announce({ kind: 'client', id: number.clientId });
    ctx.body = {
      message: 'Auto-reply settings updated',
      settings: {
        enabled: settings.autoReplyEnabled,
        message: settings.autoReplyMessage,
        cooldown_secs: settings.autoReplyCooldownSecs,
      },
    } satisfies z.input<typeof autoReplyUpdated>;
  });
}

const settingsUpdated = updated('settings', numberSettingsView);
const autoReplyUpdated = updated('settings', z.object({ enabled: z.boolean(), message: z.string(), cooldown_secs: z.number().int() }));

/** The API document's entries for registerNumberSettingsRoutes. */
export function documentNumberSettingsRoutes(api: ApiDocs): void {
  const base = { tag: 'Numbers', auth: 'admin', params: pathIds('id') } as const;
  api.route({
    ...base,
    method: 'get',
    path: '/numbers/{id}/settings',
    summary: "Show a number's own settings",
    responses: { 200: { description: 'The settings, or a message when it has none', schema: z.union([numberSettingsView, messageOnly]) } },
  });
  api.route({
    ...base,
    method: 'put',
    path: '/numbers/{id}/settings',
    summary: "Change a number's settings",
    body: numberSettingsSchema,
    responses: { 200: { description: 'Updated', schema: settingsUpdated } },
  });
  api.route({
    ...base,
    method: 'get',
    path: '/numbers/{id}/auto-reply',
    summary: "A number's auto-reply, resolved",
    responses: { 200: { description: 'The resolved view', schema: autoReplyView } },
  });
  api.route({
    ...base,
    method: 'put',
    path: '/numbers/{id}/auto-reply',
    summary: "Change a number's auto-reply",
    body: autoReplySchema,
    responses: { 200: { description: 'Updated', schema: autoReplyUpdated } },
  });
}
