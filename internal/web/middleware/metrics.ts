import type { Context, Middleware, Next } from 'koa';
import { constantTimeEqual } from '../../crypto/index.js';
import type { WebMetrics } from '../types.js';
import { adminPassword } from './admin-auth.js';

/** Label for requests no route matched, so unknown paths cannot grow the label set. */
const UNMATCHED = 'unmatched';
/** The methods the API answers; Node's parser takes some 40 others (PROPFIND, M-SEARCH, …), all 'other'. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const OTHER_METHOD = 'other';

/** The method label: one the API answers, or 'other'. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : OTHER_METHOD;
}

/** Counts and times one answered request (the middleware's, and the send fast path's). */
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

/**
 * GET `web.path` with the admin's Basic credentials: the Prometheus text exposition. It names
 * clients and carriers, so on the public web port anyone else gets the same 404 as for any
 * unknown path; an unauthenticated scrape belongs on PROMETHEUS_LISTEN (metrics/server.ts).
 */
export function metricsEndpoint(web: WebMetrics, apiKey: string): Middleware {
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'GET' || ctx.path !== web.path || !isAdmin(ctx, apiKey)) return next();
    ctx.type = web.metrics.contentType;
    ctx.body = await web.metrics.render();
  };
}

function isAdmin(ctx: Context, apiKey: string): boolean {
  try {
    return apiKey.length > 0 && constantTimeEqual(adminPassword(ctx.get('Authorization') || undefined), apiKey);
  } catch {
    return false; // a missing or malformed header: not the admin
  }
}
