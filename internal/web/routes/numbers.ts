import { CARRIER_TYPES, isCarrierType } from '../../../proto/carrier-types.js';
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { ClientNumber, NewNumber, NumberFilter, NumberPatch, NumberSettingsPatch, Store } from '../../store/index.js';
import type { ApiDocs } from '../api-docs.js';
import { numberDto } from '../dto.js';
import type { WebDeps } from '../types.js';
import { count, definedOnly, onceInQuery, parseBody, parseId, parseQuery, pathIds, toE164, urlOrEmpty } from '../validation.js';
import { deleted, numberView, updated } from '../views.js';

const numberFields = {
  carrier: z.string().trim(),
  tag: z.string().trim(),
  group: z.string().trim(),
  webhook: urlOrEmpty,
  ignore_stop_cmd_sending: z.boolean(),
};

/** Nested `settings` is dropped: limits are set through /numbers/{id}/settings (BUG-31). */
const newNumberSchema = z
  .object({ number: z.union([z.string(), z.number().int().nonnegative().transform(String)]), ...numberFields })
  .partial()
  .meta({ id: 'NumberInput', description: 'number and carrier are required; the number in any spelling, stored as E.164' });

const numberUpdateSchema = z
  .object({
    ...numberFields,
    auto_reply_enabled: z.boolean(),
    auto_reply_message: z.string(),
    auto_reply_cooldown_secs: count,
  })
  .partial()
  .meta({ id: 'NumberUpdate' });

/** POST /clients/{id}/numbers body → NewNumber, the number in canonical E.164. */
export function toNewNumber(clientId: number, body: unknown): NewNumber {
  const input = parseBody(newNumberSchema, body);
  if (!input.number || !input.carrier) throw new ValidationError('Number and Carrier are required');
  return {
    clientId,
    number: toE164(input.number),
    carrier: input.carrier,
    tag: input.tag ?? '',
    group: input.group ?? '',
    webhook: input.webhook ?? '',
    ignoreStopCmdSending: input.ignore_stop_cmd_sending ?? false,
  };
}

/** PUT /clients/{id}/numbers/{number_id} body → the number's patch and its auto-reply settings. */
export function toNumberUpdate(body: unknown): { patch: NumberPatch; settings: NumberSettingsPatch } {
  const input = parseBody(numberUpdateSchema, body);
  if (input.carrier === '') throw new ValidationError('carrier must not be empty');
  return {
    patch: definedOnly({
      carrier: input.carrier,
      tag: input.tag,
      group: input.group,
      webhook: input.webhook,
      ignoreStopCmdSending: input.ignore_stop_cmd_sending,
    }),
    settings: definedOnly({
      autoReplyEnabled: input.auto_reply_enabled,
      autoReplyMessage: input.auto_reply_message,
      autoReplyCooldownSecs: input.auto_reply_cooldown_secs,
    }),
  };
}

/**
 * Numbers route outbound by carrier name, so the name must exist (BUG-3), on add and on update.
 * A carrier type is accepted too: gomsggw's numbers name their carrier by type (`telnyx`), its
 * README adds such a number before any carrier exists, and the router sends them through the
 * carrier of that type.
 */
export async function assertCarrierExists(store: Store, name: string): Promise<void> {
  if (await store.carriers.getByName(name)) return;
  if (isCarrierType(name.toLowerCase())) return;
  throw new ValidationError(`carrier ${name} does not exist (name a configured carrier, or a carrier type: ${CARRIER_TYPES.join(', ')})`);
}

/** Exact tag and group filters, each given at most once (`?tag=a&tag=b` is refused rather than guessed). */
export const numberFilterQuery = z.object({
  tag: onceInQuery(z.string(), 'Give the tag filter once').meta({ description: 'exact tag; empty finds numbers without one' }),
  group: onceInQuery(z.string(), 'Give the group filter once').meta({ description: 'exact group; empty finds numbers without one' }),
});

/** Numbers whose tag and group equal the filter's (exact, case-sensitive: tags are free-form). */
export function filterNumbers(numbers: ClientNumber[], filter: NumberFilter): ClientNumber[] {
  return numbers.filter(
    (n) => (filter.tag === undefined || n.tag === filter.tag) && (filter.group === undefined || n.group === filter.group),
  );
}

async function ownedNumber(store: Store, clientId: number, numberId: number): Promise<ClientNumber> {
  const number = await store.numbers.get(numberId);
  if (!number || number.clientId !== clientId) throw new NotFoundError('Number not found for this client');
  return number;
}

function numberPath(ctx: Context & { params: Record<string, string> }): { clientId: number; numberId: number } {
  return {
    clientId: parseId(ctx.params.id, 'Invalid client ID'),
    numberId: parseId(ctx.params.number_id, 'Invalid number ID'),
  };
}

/** GET/POST /clients/{id}/numbers, PUT/DELETE /clients/{id}/numbers/{number_id} (upstream §5.4). */
export function registerNumberRoutes(router: Router, deps: WebDeps): void {
  const { store, directory, changes } = deps;

  router.get('/clients/:id/numbers', (ctx) => {
    const client = directory.client(parseId(ctx.params.id, 'Invalid client ID'));
    if (!client) throw new NotFoundError('Client not found');
    ctx.body = filterNumbers(client.numbers, parseQuery(numberFilterQuery, ctx.query)).map(numberDto);
  });

  router.post('/clients/:id/numbers', async (ctx) => {
    const input = toNewNumber(parseId(ctx.params.id, 'Invalid client ID'), ctx.request.body);
    if (!(await store.clients.get(input.clientId))) throw new NotFoundError('Client not found');
    await assertCarrierExists(store, input.carrier);
    const number = await store.numbers.create(input);
    await changes.announce({ kind: 'client', id: number.clientId });
    ctx.status = 201;
    ctx.body = numberDto(number);
  });

  router.put('/clients/:id/numbers/:number_id', async (ctx) => {
    const { clientId, numberId } = numberPath(ctx);
    const { patch, settings } = toNumberUpdate(ctx.request.body);
    await ownedNumber(store, clientId, numberId);
    if (patch.carrier !== undefined) await assertCarrierExists(store, patch.carrier);
    if (Object.keys(patch).length > 0) await store.numbers.update(numberId, patch);
    if (Object.keys(settings).length > 0) await store.numbers.upsertSettings(numberId, settings);
    const number = await ownedNumber(store, clientId, numberId);
    await changes.announce({ kind: 'client', id: clientId });
    ctx.body = { message: 'Number updated', number: numberDto(number) } satisfies z.input<typeof numberUpdated>;
  });

  router.delete('/clients/:id/numbers/:number_id', async (ctx) => {
    const { clientId, numberId } = numberPath(ctx);
    await ownedNumber(store, clientId, numberId);
    if (!(await store.numbers.delete(numberId))) throw new NotFoundError('Number not found for this client');
    await changes.announce({ kind: 'client', id: clientId });
    ctx.body = { message: 'Number deleted', number_id: numberId } satisfies z.input<typeof numberDeleted>;
  });
}

const numberUpdated = updated('number', numberView);
const numberDeleted = deleted('number_id');

/** The API document's entries for registerNumberRoutes. */
export function documentNumberRoutes(api: ApiDocs): void {
  const base = { tag: 'Numbers', auth: 'admin' } as const;
  api.route({
    ...base,
    method: 'get',
    path: '/clients/{id}/numbers',
    summary: "List a client's numbers",
    params: pathIds('id'),
    query: numberFilterQuery,
    responses: { 200: { description: 'The numbers', schema: z.array(numberView) } },
  });
  api.route({
    ...base,
    method: 'post',
    path: '/clients/{id}/numbers',
    summary: 'Add a number to a client',
    params: pathIds('id'),
    body: newNumberSchema,
    responses: { 201: { description: 'The number', schema: numberView } },
  });
  api.route({
    ...base,
    method: 'put',
    path: '/clients/{id}/numbers/{number_id}',
    summary: "Change a client's number",
    params: pathIds('id', 'number_id'),
    body: numberUpdateSchema,
    responses: { 200: { description: 'Updated', schema: numberUpdated } },
  });
  api.route({
    ...base,
    method: 'delete',
    path: '/clients/{id}/numbers/{number_id}',
    summary: "Delete a client's number",
    params: pathIds('id', 'number_id'),
    responses: { 200: { description: 'Deleted', schema: numberDeleted } },
  });
}
