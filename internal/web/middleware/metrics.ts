import type { Context, Middleware, Next } from 'koa';
import type { WebMetrics } from '../types.js';

/** Label for requests no route matched, so unknown paths cannot grow the label set. */
const UNMATCHED = 'unmatched';
/** The methods the API answers; Node's parser takes some 40 others (PROPFIND, M-SEARCH, …), all 'other'. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const OTHER_METHOD = 'other';

/** The method label: one the API answers, or 'other'. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : OTHER_METHOD;
}

/** Counts and times one answered request (the middleware's, and the send door's). */
export function countRequest(web: WebMetrics, method: string, route: string, status: number, seconds: number): void {
  const labels = { method: methodLabel(method), route };
  web.metrics.httpDuration.observe(labels, seconds);
  web.metrics.httpRequests.inc({ ...labels, status: String(status) });
}

/**
 * Records msggw_http_requests_total and msggw_http_request_duration_seconds for every request,
 * errors included: it runs before the error middleware, so it sees the status actually sent.
 */
export function httpMetrics(web: WebMetrics): Middleware {
  return async (ctx: Context, next: Next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      countRequest(web, ctx.method, typeof route === 'string' ? route : UNMATCHED, ctx.status, (performance.now() - started) / 1000);
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
