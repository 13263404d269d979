import type { Router } from '@koa/router';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import { ApiFormat, AuthMethod, SplitMethod, type ClientSettingsPatch } from '../../store/index.js';
import type { ApiDocs } from '../api-docs.js';
import { clientSettingsDto } from '../dto.js';
import type { WebDeps } from '../types.js';
import { count, definedOnly, parseBody, parseId, pathIds, urlOrEmpty } from '../validation.js';
import { clientSettingsView, messageOnly, updated } from '../views.js';

/** The six usage limits shared by client and number settings (0 = unlimited / inherit). */
export const limitFields = {
  sms_burst_limit: count,
  sms_daily_limit: count,
  sms_monthly_limit: count,
  mms_burst_limit: count,
  mms_daily_limit: count,
  mms_monthly_limit: count,
  limit_both: z.boolean(),
};
type LimitInput = Partial<{ [K in keyof typeof limitFields]: z.infer<(typeof limitFields)[K]> }>;

/** Limit fields of a validated body, camelCased for the store. */
export function limitsPatch(input: LimitInput) {
  return definedOnly({
    smsBurstLimit: input.sms_burst_limit,
    smsDailyLimit: input.sms_daily_limit,
    smsMonthlyLimit: input.sms_monthly_limit,
    mmsBurstLimit: input.mms_burst_limit,
    mmsDailyLimit: input.mms_daily_limit,
    mmsMonthlyLimit: input.mms_monthly_limit,
    limitBoth: input.limit_both,
  });
}

const lowerEnum = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(values))
    .meta({ description: `${values.join(', ')} (any case)` });

/** null or '' for auth_method: the client may use Basic or Bearer. */
const authMethod = z.union([z.null(), z.literal(''), lowerEnum([AuthMethod.BASIC, AuthMethod.BEARER])]);

const clientSettingsSchema = z
  .object({
    auth_method: authMethod,
    api_format: lowerEnum([ApiFormat.GENERIC, ApiFormat.BICOM, ApiFormat.TELNYX]),
    disable_message_splitting: z.boolean(),
    split_method: lowerEnum([SplitMethod.UDH, SplitMethod.SAR, SplitMethod.PAYLOAD, SplitMethod.NONE]),
    webhook_retries: count,
    webhook_timeout_secs: count,
    include_raw_segments: z.boolean(),
    default_webhook: urlOrEmpty,
    /** Rotates the webhook signing secret; short secrets are too easy to guess. */
    webhook_secret: z.string().min(16, 'must be at least 16 characters'),
    ...limitFields,
    max_binds: count,
    max_tps: count,
    mm4_port: z.number().int().min(1).max(65_535),
  })
  .partial()
  .meta({ id: 'ClientSettingsInput', description: 'Changes what it names; enum values are case-insensitive' });

/** PUT /clients/{id}/settings body → ClientSettingsPatch; every value checked first (§5.5 took any). */
export function toClientSettingsPatch(body: unknown): ClientSettingsPatch {
  const input = parseBody(clientSettingsSchema, body);
  checkSplitAlias(input.split_method, input.disable_message_splitting);
  return definedOnly({
    authMethod: input.auth_method === '' ? null : input.auth_method,
    apiFormat: input.api_format,
    disableMessageSplitting: input.disable_message_splitting,
    splitMethod: input.split_method,
    webhookRetries: input.webhook_retries,
    webhookTimeoutSecs: input.webhook_timeout_secs,
    includeRawSegments: input.include_raw_segments,
    defaultWebhook: input.default_webhook,
    webhookSecret: input.webhook_secret,
    ...limitsPatch(input),
    maxBinds: input.max_binds,
    maxTps: input.max_tps,
    mm4Port: input.mm4_port,
  });
}

/** disable_message_splitting is split_method 'payload' by another name; one body may not say both ways. */
function checkSplitAlias(method: SplitMethod | undefined, disable: boolean | undefined): void {
  if (method === undefined || disable === undefined || disable === (method === SplitMethod.PAYLOAD)) return;
  throw new ValidationError(`disable_message_splitting ${disable} contradicts split_method '${method}'`);
}

/** GET/PUT /clients/{id}/settings (upstream §5.5). */
export function registerSettingsRoutes(router: Router, deps: WebDeps): void {
  const { store, directory, changes } = deps;

  router.get('/clients/:id/settings', (ctx) => {
    const client = directory.client(parseId(ctx.params.id, 'Invalid client ID'));
    if (!client) throw new NotFoundError('Client not found');
    ctx.body = client.settings ? clientSettingsDto(client.settings) : { message: 'No web settings configured for this client' };
  });

  router.put('/clients/:id/settings', async (ctx) => {
    const id = parseId(ctx.params.id, 'Invalid client ID');
    const patch = toClientSettingsPatch(ctx.request.body);
    const settings = await store.clients.upsertSettings(id, patch);
    await changes.announce({ kind: 'client', id });
    ctx.body = { message: 'Settings updated', settings: clientSettingsDto(settings) } satisfies z.input<typeof settingsUpdated>;
  });
}

const settingsUpdated = updated('settings', clientSettingsView);

/** The API document's entries for registerSettingsRoutes. */
export function documentSettingsRoutes(api: ApiDocs): void {
  const base = { tag: 'Clients', auth: 'admin', params: pathIds('id') } as const;
  api.route({
    ...base,
    method: 'get',
    path: '/clients/{id}/settings',
    summary: "Show a client's settings",
    responses: {
      200: { description: 'The settings, or a message when the client has none', schema: z.union([clientSettingsView, messageOnly]) },
    },
  });
  api.route({
    ...base,
    method: 'put',
    path: '/clients/{id}/settings',
    summary: "Change a client's settings (created when missing)",
    body: clientSettingsSchema,
    responses: { 200: { description: 'Updated', schema: settingsUpdated } },
  });
}
