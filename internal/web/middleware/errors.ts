import { STATUS_CODES } from 'node:http';
import type { Context, Middleware, Next } from 'koa';
import { ZodError } from 'zod';
import { ErrorCode, GatewayError, wireStatus } from '../../errors/index.js';
import { applyAnswer, type WebAnswer } from '../answer.js';
import type { Logger } from '../types.js';
import { describeZodError } from '../validation.js';
import { TooManyLoginsError } from './login-guard.js';

/** Upstream's admin realm (§4.1); clients match on the header, so keep the text. */
export const BASIC_CHALLENGE = 'Basic realm="Restricted"';

interface ErrorResponse {
  status: number;
  body: Record<string, unknown>;
}

function fromGatewayError(err: GatewayError): ErrorResponse {
  const status = wireStatus[err.code].http;
  const message = err.expose ? err.message : 'internal error';
  return { status, body: { error: message, ...err.details } };
}

/** Koa's own errors (ctx.throw, http-errors) carry a status and say whether their text is safe. */
function fromHttpError(err: unknown): ErrorResponse | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, expose, message } = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499 || expose !== true) return undefined;
  return { status, body: { error: typeof message === 'string' ? message : STATUS_CODES[status] } };
}

function toResponse(err: unknown): ErrorResponse | undefined {
  if (err instanceof GatewayError) return fromGatewayError(err);
  if (err instanceof ZodError) return { status: 400, body: { error: describeZodError(err) } };
  return fromHttpError(err);
}

/** A 404/405 that no route answered, or any other error status left without a body. */
function fillEmptyError(ctx: Context): void {
  if (ctx.status < 400 || ctx.body != null) return;
  const status = ctx.status;
  if (status === 404) ctx.body = { error: `Not found: ${ctx.method} ${ctx.path}` };
  else if (status === 405) ctx.body = { error: `Method ${ctx.method} is not allowed on ${ctx.path}` };
  else ctx.body = { error: STATUS_CODES[status] ?? 'error' };
  ctx.status = status;
}

/**
 * The answer to a request that failed with `err` (style.md, Errors): JSON `{"error": "..."}`
 * with the status of the error's code (proto/errors.ts). Unknown errors are logged once with
 * their cause chain and answered 500 `{"error":"internal error"}`.
 */
export function errorAnswer(err: unknown, logger: Logger, where: { method: string; path: string }): WebAnswer {
  const response = toResponse(err);
  const status = response?.status ?? 500;
  if (!response || status >= 500) logger.error({ err, method: where.method, path: where.path }, 'request failed');
  return { status, body: response?.body ?? { error: 'internal error' }, headers: errorHeaders(err) };
}

/** A 401's challenge (upstream §4.1); a lockout's Retry-After. */
function errorHeaders(err: unknown): Record<string, string> | undefined {
  if (err instanceof TooManyLoginsError) return { 'Retry-After': String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) };
  return err instanceof GatewayError && err.code === ErrorCode.AUTH ? { 'WWW-Authenticate': BASIC_CHALLENGE } : undefined;
}

/** The web entry point's one catch-all: every failure leaves as errorAnswer() says. */
export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      fillEmptyError(ctx);
    } catch (err) {
      applyAnswer(ctx, errorAnswer(err, logger, { method: ctx.method, path: ctx.path }));
    }
  };
}
