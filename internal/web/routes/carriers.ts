import type { Router } from '@koa/router';
import { z } from 'zod';
import { CARRIER_TYPES, isCarrierType, unsignedWebhooksWarning } from '../../../proto/carrier-types.js';
import { generateObjectId } from '../../crypto/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { Carrier, CarrierPatch, NewCarrier, Store } from '../../store/index.js';
import type { Logger } from '../../log/index.js';
import type { ApiDocs } from '../api-docs.js';
import { carrierDto } from '../dto.js';
import type { WebDeps } from '../types.js';
import { count, definedOnly, identifier, parseBody, parseId, pathIds, urlOrEmpty } from '../validation.js';
import { carrierView, deleted, statusOnly, updated } from '../views.js';

const carrierSchema = z
  .object({
    name: identifier,
    type: z.string().trim().toLowerCase(),
    username: identifier,
    password: z.string(),
    /** Only on create: keeps an upstream carrier's `/inbound/{uuid}` working after a migration. */
    uuid: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[0-9a-f]{24}$/, 'must be 24 hex characters'),
    profile_id: z.string().trim(),
    api_base_url: urlOrEmpty,
    verify_webhooks: z.boolean(),
    public_key: z.string().trim(),
    max_rps: count,
  })
  .partial()
  .meta({ id: 'CarrierInput', description: 'POST needs name, type, username and password; PUT changes what it names' });
type CarrierInput = z.infer<typeof carrierSchema>;

function checkType(type: string): string {
  if (!isCarrierType(type)) {
    throw new ValidationError(`Unknown carrier type "${type}": use one of ${CARRIER_TYPES.join(', ')}`);
  }
  return type;
}

function optionalFields(input: CarrierInput): Omit<CarrierPatch, 'name' | 'type' | 'username' | 'password'> {
  return definedOnly({
    profileId: input.profile_id,
    apiBaseUrl: input.api_base_url,
    verifyWebhooks: input.verify_webhooks,
    publicKey: input.public_key,
    maxRps: input.max_rps,
  });
}

/** POST /carriers body → NewCarrier; every check runs before anything is written (BUG-4). */
export function toNewCarrier(body: unknown): NewCarrier {
  const input = parseBody(carrierSchema, body);
  const { name, type, username, password } = input;
  if (!name || !type || !username || !password) {
    throw new ValidationError('All fields (name, type, username, password) are required');
  }
  return {
    profileId: '',
    apiBaseUrl: '',
    verifyWebhooks: true,
    publicKey: '',
    maxRps: 0,
    ...optionalFields(input),
    name,
    type: checkType(type),
    username,
    password,
    uuid: input.uuid ?? generateObjectId(),
  };
}

/** PUT /carriers/{id} body → CarrierPatch (the uuid never changes). */
export function toCarrierPatch(body: unknown): CarrierPatch {
  const input = parseBody(carrierSchema, body);
  for (const field of ['name', 'username', 'password'] as const) {
    if (input[field] === '') throw new ValidationError(`${field} must not be empty`);
  }
  return definedOnly({
    ...optionalFields(input),
    name: input.name,
    type: input.type === undefined ? undefined : checkType(input.type),
    username: input.username,
    password: input.password,
  });
}

/** Numbers name their carrier; renaming or deleting one in use would strand them (BUG-3). */
async function assertUnused(store: Store, name: string, action: string): Promise<void> {
  const users = (await store.numbers.listAll()).filter((n) => n.carrier === name);
  if (users.length > 0) {
    throw new ConflictError(
      `Cannot ${action} carrier ${name}: ${users.length} number(s) use it (e.g. ${users[0].number}); move them to another carrier first`,
    );
  }
}

async function mustExist(store: Store, id: number) {
  const carrier = await store.carriers.get(id);
  if (!carrier) throw new NotFoundError('Carrier not found');
  return carrier;
}

/** The admin answer carries the same sentence in `warnings`; the log keeps it for whoever did not read it. */
function logIfUnsigned(logger: Logger, carrier: Carrier, action: 'created' | 'updated'): void {
  const warning = unsignedWebhooksWarning(carrier);
  if (warning) logger.warn({ carrier: carrier.name, carrierId: carrier.id, type: carrier.type }, `carrier ${action}: ${warning}`);
}

const carrierId = (raw: string | undefined) => parseId(raw, 'Invalid carrier ID');

/** GET/POST /carriers, POST /carriers/reload, GET/PUT/DELETE /carriers/{id} (upstream §5.2). */
export function registerCarrierRoutes(router: Router, deps: WebDeps): void {
  const { store, directory, changes, serverAddress, logger } = deps;

  router.get('/carriers', (ctx) => {
    ctx.body = directory.carriers().map((c) => carrierDto(c, serverAddress));
  });

  router.post('/carriers', async (ctx) => {
    const input = toNewCarrier(ctx.request.body);
    if (await store.carriers.getByUuid(input.uuid)) {
      throw new ConflictError(`a carrier with uuid ${input.uuid} already exists`);
    }
    const carrier = await store.carriers.create(input);
    await changes.announce({ kind: 'carrier', id: carrier.id });
    logIfUnsigned(logger, carrier, 'created');
    ctx.status = 201;
    ctx.body = carrierDto(carrier, serverAddress);
  });

  router.post('/carriers/reload', async (ctx) => {
    await changes.announce({ kind: 'all' });
    ctx.body = { status: 'Carriers reloaded' };
  });

  router.get('/carriers/:id', (ctx) => {
    const carrier = directory.carrier(carrierId(ctx.params.id));
    if (!carrier) throw new NotFoundError('Carrier not found');
    ctx.body = carrierDto(carrier, serverAddress);
  });

  router.put('/carriers/:id', async (ctx) => {
    const id = carrierId(ctx.params.id);
    const patch = toCarrierPatch(ctx.request.body);
    const current = await mustExist(store, id);
    if (patch.name !== undefined && patch.name !== current.name) await assertUnused(store, current.name, 'rename');
    const carrier = await store.carriers.update(id, patch);
    await changes.announce({ kind: 'carrier', id });
    logIfUnsigned(logger, carrier, 'updated');
    ctx.body = { message: 'Carrier updated', carrier: carrierDto(carrier, serverAddress) } satisfies z.input<typeof carrierUpdated>;
  });

  router.delete('/carriers/:id', async (ctx) => {
    const id = carrierId(ctx.params.id);
    const current = await mustExist(store, id);
    await assertUnused(store, current.name, 'delete');
    if (!(await store.carriers.delete(id))) throw new NotFoundError('Carrier not found');
    await changes.announce({ kind: 'carrier', id });
    ctx.body = { message: 'Carrier deleted', carrier_id: id } satisfies z.input<typeof carrierDeleted>;
  });
}

const carrierUpdated = updated('carrier', carrierView);
const carrierDeleted = deleted('carrier_id');

/** The API document's entries for registerCarrierRoutes. */
export function documentCarrierRoutes(api: ApiDocs): void {
  const base = { tag: 'Carriers', auth: 'admin' } as const;
  const params = pathIds('id');
  api.route({
    ...base,
    method: 'get',
    path: '/carriers',
    summary: 'List carriers',
    responses: { 200: { description: 'Every carrier, by id', schema: z.array(carrierView) } },
  });
  api.route({
    ...base,
    method: 'post',
    path: '/carriers',
    summary: 'Create a carrier',
    body: carrierSchema,
    responses: { 201: { description: 'The carrier', schema: carrierView }, 409: { description: 'The uuid is taken' } },
  });
  api.route({
    ...base,
    method: 'post',
    path: '/carriers/reload',
    summary: 'Re-read every carrier, client and number from the database',
    responses: { 200: { description: 'Reloaded', schema: statusOnly } },
  });
  api.route({
    ...base,
    method: 'get',
    path: '/carriers/{id}',
    summary: 'Show a carrier',
    params,
    responses: { 200: { description: 'The carrier', schema: carrierView } },
  });
  api.route({
    ...base,
    method: 'put',
    path: '/carriers/{id}',
    summary: 'Change a carrier',
    params,
    body: carrierSchema,
    responses: { 200: { description: 'Updated', schema: carrierUpdated }, 409: { description: 'Renaming a carrier numbers use' } },
  });
  api.route({
    ...base,
    method: 'delete',
    path: '/carriers/{id}',
    summary: 'Delete a carrier no number uses',
    params,
    responses: { 200: { description: 'Deleted', schema: carrierDeleted }, 409: { description: 'Numbers use it' } },
  });
}
