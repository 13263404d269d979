import type { Context, Middleware, Next } from 'koa';
import type { WebMetrics } from '../types.js';

/** Label for requests no route matched, so unknown paths cannot grow the label set. */
const UNMATCHED = 'unmatched';

/**
 * Records msggw_http_requests_total and msggw_http_request_duration_seconds for every request,
 * errors included: it runs before the error middleware, so it sees the status actually sent.
 */
export function httpMetrics(web: WebMetrics): Middleware {
  const { metrics } = web;
  return async (ctx: Context, next: Next) => {
    const stopTimer = metrics.httpDuration.startTimer({ method: ctx.method });
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      const label = typeof route === 'string' ? route : UNMATCHED;
      stopTimer({ route: label });
      metrics.httpRequests.inc({ method: ctx.method, route: label, status: String(ctx.status) });
    }
  };
}

/** GET `web.path`: the Prometheus text exposition, without auth like upstream's listener (§16.3). */
export function metricsEndpoint(web: WebMetrics): Middleware {
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'GET' || ctx.path !== web.path) return next();
    ctx.type = web.metrics.contentType;
    ctx.body = await web.metrics.render();
  };
}
