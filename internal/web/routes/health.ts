import type { Router } from '@koa/router';
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

/** The /stats fields a node reports before any SMPP or MM4 front door is attached. */
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
