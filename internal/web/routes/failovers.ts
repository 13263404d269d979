import type { Router } from '@koa/router';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { ClientFailover, FailoverPatch, NewFailover, Store } from '../../store/index.js';
import type { ApiDocs } from '../api-docs.js';
import { failoverDto, failoverViewDto } from '../dto.js';
import type { SmppBindView, WebDeps } from '../types.js';
import { INT32_MAX, definedOnly, parseBody, parseId, pathIds, rowId } from '../validation.js';
import { deleted, failoverListItemView, failoverView, updated } from '../views.js';

const priority = z.number().int().min(-INT32_MAX).max(INT32_MAX).meta({ description: 'lower is tried first' });
const newFailoverSchema = z
  .object({ fallback_client_id: rowId, priority })
  .partial()
  .meta({ id: 'FailoverInput', description: 'fallback_client_id is required' });
const failoverPatchSchema = z.object({ priority, enabled: z.boolean() }).partial().meta({ id: 'FailoverUpdate' });

/** POST /clients/{id}/failovers body → NewFailover, with upstream's messages (§5.6). */
export function toNewFailover(primaryClientId: number, body: unknown): NewFailover {
  const input = parseBody(newFailoverSchema, body);
  if (input.fallback_client_id === undefined) throw new ValidationError('fallback_client_id is required');
  if (input.fallback_client_id === primaryClientId) throw new ValidationError('A client cannot be its own failover');
  return { primaryClientId, fallbackClientId: input.fallback_client_id, priority: input.priority ?? 0 };
}

export function toFailoverPatch(body: unknown): FailoverPatch {
  return definedOnly(parseBody(failoverPatchSchema, body));
}

/** Lower priority first, then oldest, as upstream listed them. */
const byPriority = (a: ClientFailover, b: ClientFailover) => a.priority - b.priority || a.id - b.id;

/** The failover, checked to belong to the client in the path (upstream ignored the path, §5.6). */
async function ownedFailover(store: Store, clientId: number, failoverId: number): Promise<ClientFailover> {
  const failover = await store.failovers.get(failoverId);
  if (!failover || failover.primaryClientId !== clientId) throw new NotFoundError('Failover not found');
  return failover;
}

/**
 * The client's SMPP binds on every node, ordered so the `ip` smpp-status shows is the same
 * whichever node is asked (upstream had one node, so one session per username).
 */
async function bindsOf(deps: WebDeps, clientId: number): Promise<SmppBindView[]> {
  const binds = (await deps.smppPresence?.binds(clientId)) ?? [];
  return [...binds].sort((a, b) => a.node.localeCompare(b.node) || a.ip.localeCompare(b.ip));
}

const isOnline = async (deps: WebDeps, clientId: number) => (await bindsOf(deps, clientId)).length > 0;

/**
 * Failover routes and SMPP status (upstream §5.6). A client is online while it has a bind on
 * any node of the cluster (the SMPP session registry), not only on the node asked.
 */
export function registerFailoverRoutes(router: Router, deps: WebDeps): void {
  const { store, directory, changes } = deps;

  const cachedClient = (raw: string | undefined) => {
    const client = directory.client(parseId(raw, 'Invalid client ID'));
    if (!client) throw new NotFoundError('Client not found');
    return client;
  };

  router.get('/clients/:id/failovers', async (ctx) => {
    const client = cachedClient(ctx.params.id);
    ctx.body = await Promise.all(
      [...client.failovers]
        .sort(byPriority)
        .map(async (f) => failoverViewDto(f, directory.client(f.fallbackClientId), await isOnline(deps, f.fallbackClientId))),
    );
  });

  router.post('/clients/:id/failovers', async (ctx) => {
    const input = toNewFailover(parseId(ctx.params.id, 'Invalid client ID'), ctx.request.body);
    if (!(await store.clients.get(input.primaryClientId))) throw new NotFoundError('Primary client not found');
    if (!(await store.clients.get(input.fallbackClientId))) throw new NotFoundError('Fallback client not found');
    const failover = await store.failovers.create(input);
    await changes.announce({ kind: 'client', id: input.primaryClientId });
    ctx.status = 201;
    ctx.body = failoverDto(failover);
  });

  router.put('/clients/:id/failovers/:failover_id', async (ctx) => {
    const clientId = parseId(ctx.params.id, 'Invalid client ID');
    const failoverId = parseId(ctx.params.failover_id, 'Invalid failover ID');
    const patch = toFailoverPatch(ctx.request.body);
    await ownedFailover(store, clientId, failoverId);
    const failover = await store.failovers.update(failoverId, patch);
    await changes.announce({ kind: 'client', id: clientId });
    ctx.body = { message: 'Failover updated', failover: failoverDto(failover) } satisfies z.input<typeof failoverUpdated>;
  });

  router.delete('/clients/:id/failovers/:failover_id', async (ctx) => {
    const clientId = parseId(ctx.params.id, 'Invalid client ID');
    const failoverId = parseId(ctx.params.failover_id, 'Invalid failover ID');
    await ownedFailover(store, clientId, failoverId);
    if (!(await store.failovers.delete(failoverId))) throw new NotFoundError('Failover not found');
    await changes.announce({ kind: 'client', id: clientId });
    ctx.body = { message: 'Failover deleted', failover_id: failoverId } satisfies z.input<typeof failoverDeleted>;
  });

  router.get('/clients/:id/smpp-status', async (ctx) => {
    const client = cachedClient(ctx.params.id);
    const failovers = await Promise.all(
      client.failovers
        .filter((f) => f.enabled)
        .sort(byPriority)
        .map(async (f) => {
          const fallback = directory.client(f.fallbackClientId);
          return {
            client_id: f.fallbackClientId,
            username: fallback?.username ?? '',
            name: fallback?.name ?? '',
            priority: f.priority,
            online: await isOnline(deps, f.fallbackClientId),
          };
        }),
    );
    const binds = await bindsOf(deps, client.id);
    ctx.body = {
      client_id: client.id,
      username: client.username,
      online: binds.length > 0,
      ip: binds[0]?.ip ?? '',
      failovers,
    } satisfies z.input<typeof smppStatusView>;
  });
}

const failoverUpdated = updated('failover', failoverView);
const failoverDeleted = deleted('failover_id');
const smppStatusView = z
  .object({
    client_id: z.number().int(),
    username: z.string(),
    online: z.boolean().meta({ description: 'a bind on any node of the cluster' }),
    ip: z.string().meta({ description: "one bind's ESME address, '' when offline" }),
    failovers: z.array(
      z.object({
        client_id: z.number().int(),
        username: z.string(),
        name: z.string(),
        priority: z.number().int(),
        online: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'SmppStatus' });

/** The API document's entries for registerFailoverRoutes. */
export function documentFailoverRoutes(api: ApiDocs): void {
  const base = { tag: 'Failovers', auth: 'admin' } as const;
  const both = pathIds('id', 'failover_id');
  api.route({
    ...base,
    method: 'get',
    path: '/clients/{id}/failovers',
    summary: "A client's failovers, in priority order",
    params: pathIds('id'),
    responses: { 200: { description: 'The failovers', schema: z.array(failoverListItemView) } },
  });
  api.route({
    ...base,
    method: 'post',
    path: '/clients/{id}/failovers',
    summary: 'Add a failover',
    params: pathIds('id'),
    body: newFailoverSchema,
    responses: { 201: { description: 'The failover', schema: failoverView } },
  });
  api.route({
    ...base,
    method: 'put',
    path: '/clients/{id}/failovers/{failover_id}',
    summary: 'Change a failover',
    params: both,
    body: failoverPatchSchema,
    responses: { 200: { description: 'Updated', schema: failoverUpdated } },
  });
  api.route({
    ...base,
    method: 'delete',
    path: '/clients/{id}/failovers/{failover_id}',
    summary: 'Delete a failover',
    params: both,
    responses: { 200: { description: 'Deleted', schema: failoverDeleted } },
  });
  api.route({
    ...base,
    method: 'get',
    path: '/clients/{id}/smpp-status',
    summary: 'Whether a client and its failovers are bound over SMPP',
    params: pathIds('id'),
    responses: { 200: { description: 'Presence across the cluster', schema: smppStatusView } },
  });
}
