import type { Router } from '@koa/router';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import { ClientType, type ClientPatch, type NewClient } from '../../store/index.js';
import type { ApiDocs } from '../api-docs.js';
import { clientDto } from '../dto.js';
import { withSmppWarnings, type SmppCredentials } from '../smpp-limits.js';
import type { WebDeps } from '../types.js';
import { canonicalZone, definedOnly, identifier, isIanaZone, parseBody, parseId, pathIds } from '../validation.js';
import { clientView, deleted, smppWarnings, statusOnly } from '../views.js';

const ADDRESS_REQUIRED = 'Address (IP or hostname) is required for legacy clients';

/** An IANA zone in the runtime's spelling; '' means UTC, as upstream defaulted it (§3.2). */
const timezone = z
  .string()
  .trim()
  .refine((zone) => zone === '' || isIanaZone(zone), { message: 'must be an IANA time zone such as UTC or America/Vancouver' })
  .transform((zone) => (zone === '' ? 'UTC' : (canonicalZone(zone) ?? zone)));

/** Nested `settings`/`numbers` are not listed, so they are dropped, never inserted (BUG-31). */
const clientSchema = z
  .object({
    username: identifier,
    password: z.string(),
    type: z.string().trim().toLowerCase(),
    name: z.string().trim(),
    address: z.string().trim(),
    timezone,
    log_privacy: z.boolean(),
  })
  .partial()
  .meta({
    id: 'ClientInput',
    description: 'POST needs username and password (and address for a legacy client); PUT changes name, address, timezone, log_privacy',
  });

function checkType(type: string | undefined): ClientType {
  if (type === undefined || type === '') return ClientType.LEGACY;
  if (type === ClientType.LEGACY || type === ClientType.WEB) return type;
  throw new ValidationError(`Invalid client type "${type}": use legacy or web`);
}

/** POST /clients body → NewClient, with upstream's messages for the required fields (§5.3). */
export function toNewClient(body: unknown): NewClient {
  const input = parseBody(clientSchema, body);
  if (!input.username || !input.password) throw new ValidationError('Username and Password are required');
  const type = checkType(input.type);
  const address = input.address ?? '';
  if (type === ClientType.LEGACY && address === '') throw new ValidationError(ADDRESS_REQUIRED);
  return {
    username: input.username,
    password: input.password,
    type,
    address,
    name: input.name ?? '',
    timezone: input.timezone ?? 'UTC',
    logPrivacy: input.log_privacy ?? false,
  };
}

/** PUT /clients/{id} body → ClientPatch; username and type stay as created. */
export function toClientPatch(body: unknown, type: ClientType): ClientPatch {
  const input = parseBody(clientSchema, body);
  if (type === ClientType.LEGACY && input.address === '') throw new ValidationError(ADDRESS_REQUIRED);
  return definedOnly({
    name: input.name,
    address: input.address,
    timezone: input.timezone,
    logPrivacy: input.log_privacy,
  });
}

const passwordSchema = z.object({ new_password: z.string() }).partial().meta({ description: 'new_password is required' });

/** Only a legacy client binds over SMPP; a web client's credentials have no SMPP limit. */
const smppCredentials = (client: { type: ClientType; username: string; password: string }): SmppCredentials =>
  client.type === ClientType.LEGACY ? { username: client.username, password: client.password } : {};

/**
 * Client routes of upstream §5.3, plus GET and PUT /clients/{id}. Creating or changing a legacy
 * client whose credentials exceed the SMPP limits succeeds with `warnings` (smpp-limits.ts).
 */
export function registerClientRoutes(router: Router, deps: WebDeps): void {
  const { store, directory, changes, logger } = deps;

  router.get('/clients', (ctx) => {
    ctx.body = directory.clients().map(clientDto);
  });

  router.post('/clients', async (ctx) => {
    const input = toNewClient(ctx.request.body);
    const client = await store.clients.create(input);
    await changes.announce({ kind: 'client', id: client.id });
    ctx.status = 201;
    ctx.body = withSmppWarnings(clientDto(client), client.id, smppCredentials(input), logger);
  });

  router.post('/clients/reload', async (ctx) => {
    await changes.announce({ kind: 'all' });
    ctx.body = { status: 'Clients and Numbers reloaded' };
  });

  router.get('/clients/:id', (ctx) => {
    const client = directory.client(parseId(ctx.params.id, 'Invalid client ID'));
    if (!client) throw new NotFoundError('Client not found');
    ctx.body = clientDto(client);
  });

  router.put('/clients/:id', async (ctx) => {
    const id = parseId(ctx.params.id, 'Invalid client ID');
    const current = await store.clients.get(id);
    if (!current) throw new NotFoundError('Client not found');
    const client = await store.clients.update(id, toClientPatch(ctx.request.body, current.type));
    await changes.announce({ kind: 'client', id });
    ctx.body = withSmppWarnings({ message: 'Client updated', client: clientDto(client) }, id, smppCredentials(current), logger);
  });

  router.delete('/clients/:id', async (ctx) => {
    const id = parseId(ctx.params.id, 'Invalid client ID');
    const primaries = directory.clients().filter((c) => c.failovers.some((f) => f.fallbackClientId === id));
    // One transaction takes numbers, settings, failovers both ways and API keys (BUG-21).
    if (!(await store.clients.delete(id))) throw new NotFoundError('Client not found');
    await changes.announce({ kind: 'client', id });
    // The directory drops the client's keys with it; its fallback role lives in other clients.
    for (const primary of primaries) await changes.announce({ kind: 'client', id: primary.id });
    ctx.body = { message: 'Client deleted', client_id: id };
  });

  router.patch('/clients/:id/password', async (ctx) => {
    const id = parseId(ctx.params.id, 'Invalid client ID format');
    const { new_password: password } = parseBody(passwordSchema, ctx.request.body);
    if (!password) throw new ValidationError('New password is required');
    await store.clients.setPassword(id, password);
    await changes.announce({ kind: 'client', id });
    const type = directory.client(id)?.type ?? ClientType.WEB;
    ctx.body = withSmppWarnings({ status: 'Password updated successfully' }, id, type === ClientType.LEGACY ? { password } : {}, logger);
  });
}

/** The API document's entries for registerClientRoutes. */
export function documentClientRoutes(api: ApiDocs): void {
  const base = { tag: 'Clients', auth: 'admin' } as const;
  const params = pathIds('id');
  const withWarnings = clientView.extend(smppWarnings);
  api.route({
    ...base,
    method: 'get',
    path: '/clients',
    summary: 'List clients with their settings and numbers',
    responses: { 200: { description: 'Every client, by id', schema: z.array(clientView) } },
  });
  api.route({
    ...base,
    method: 'post',
    path: '/clients',
    summary: 'Create a client',
    body: clientSchema,
    responses: { 201: { description: 'The client (warnings: SMPP credential limits)', schema: withWarnings } },
  });
  api.route({
    ...base,
    method: 'post',
    path: '/clients/reload',
    summary: 'Re-read every carrier, client and number from the database',
    responses: { 200: { description: 'Reloaded', schema: statusOnly } },
  });
  api.route({
    ...base,
    method: 'get',
    path: '/clients/{id}',
    summary: 'Show a client',
    params,
    responses: { 200: { description: 'The client', schema: clientView } },
  });
  api.route({
    ...base,
    method: 'put',
    path: '/clients/{id}',
    summary: 'Change a client',
    params,
    body: clientSchema,
    responses: { 200: { description: 'Updated', schema: z.object({ message: z.string(), client: clientView, ...smppWarnings }) } },
  });
  api.route({
    ...base,
    method: 'delete',
    path: '/clients/{id}',
    summary: 'Delete a client with its numbers, settings, failovers and API keys',
    params,
    responses: { 200: { description: 'Deleted', schema: deleted('client_id') } },
  });
  api.route({
    ...base,
    method: 'patch',
    path: '/clients/{id}/password',
    summary: "Set a client's password",
    params,
    body: passwordSchema,
    responses: { 200: { description: 'Updated', schema: statusOnly.extend(smppWarnings) } },
  });
}
