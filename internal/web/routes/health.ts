import type { Router } from '@koa/router';
import { z } from 'zod';
import type { ApiDocs } from '../api-docs.js';
import type { WebDeps } from '../types.js';

const NOT_READY = { status: 'unavailable', error: 'The gateway is starting or shutting down; try another node' };

/**
 * GET /health and GET /ready, without auth (upstream §5.1, BUG-29). /health answers from the
 * node's lifecycle alone; /ready also asks the database, so a load balancer can drop a node
 * that lost it.
 */
export function registerHealthRoutes(router: Router, deps: Pick<WebDeps, 'ready' | 'store'>): void {
  router.get('/health', (ctx) => {
    const ready = deps.ready();
    ctx.status = ready ? 200 : 503;
    ctx.body = ready ? { status: 'ok' } : NOT_READY;
  });

  router.get('/ready', async (ctx) => {
    if (!deps.ready()) {
      ctx.status = 503;
      ctx.body = NOT_READY;
      return;
    }
    const database = await deps.store.ping().catch(() => false);
    ctx.status = database ? 200 : 503;
    ctx.body = database ? { status: 'ready' } : { status: 'unavailable', error: 'The database does not answer' };
  });
}

/** The /stats fields a node reports before any SMPP or MM4 entry point is attached. */
const EMPTY_STATS = {
  smpp_connected_clients: 0,
  smpp_clients: [],
  mm4_connected_clients: 0,
  mm4_clients: [],
};

/** GET /stats (admin): upstream's shape (§5.1), overlaid with `deps.stats()` when given. */
export function registerStatsRoutes(router: Router, deps: Pick<WebDeps, 'stats'>): void {
  router.get('/stats', async (ctx) => {
    const extra = deps.stats ? await deps.stats() : {};
    ctx.body = { ...EMPTY_STATS, ...extra };
  });
}

const healthView = z.object({ status: z.string(), error: z.string().optional() });
const statsView = z
  .looseObject({
    smpp_connected_clients: z.number().int(),
    smpp_clients: z.array(z.unknown()),
    mm4_connected_clients: z.number().int(),
    mm4_clients: z.array(z.unknown()),
  })
  .meta({ id: 'Stats' });

/** The API document's entries for registerHealthRoutes and registerStatsRoutes. */
export function documentHealthRoutes(api: ApiDocs): void {
  const base = { tag: 'Health', auth: 'public' } as const;
  const unavailable = { description: 'Starting, stopping, or (ready) the database does not answer', schema: healthView };
  api.route({
    ...base,
    method: 'get',
    path: '/health',
    summary: "The node's lifecycle",
    responses: { 200: { description: 'Serving', schema: healthView }, 503: unavailable },
  });
  api.route({
    ...base,
    method: 'get',
    path: '/ready',
    summary: 'Serving and its database answers',
    responses: { 200: { description: 'Ready', schema: healthView }, 503: unavailable },
  });
  api.route({
    tag: 'Health',
    auth: 'admin',
    method: 'get',
    path: '/stats',
    summary: 'SMPP and MM4 sessions across the cluster',
    responses: { 200: { description: 'Sessions', schema: statsView } },
  });
}
