import { randomUUID } from 'node:crypto';
import type { Router } from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { normalizeE164 } from '../../../proto/e164.js';
import type { Message } from '../../../proto/message.js';
import { ForbiddenError, GatewayError, UnavailableError, ValidationError, wireStatus } from '../../errors/index.js';
import type { ClientDetails } from '../../store/index.js';
import { clientIp, trustedProxies, type TrustedProxies } from '../client-ip.js';
import {
  acceptedAnswer, apiFormatOf, parseSendRequest, usesStatusErrors, type SendRequest,
} from '../formats.js';
import { mediaRefs } from '../media-refs.js';
import { assertKeyMaySendFrom, clientAuthOf, requireScope, type ClientAuth } from '../middleware/client-auth.js';
import { ingressOf } from '../ingress.js';
import { jsonBody } from '../middleware/json-body.js';
import { QuotaRefusedError } from '../../quota/index.js';
import type { Logger, MediaSink, WebDeps } from '../types.js';

/**
 * Longest text accepted, in characters (Unicode code points): Twilio's limit for one message
 * body (error 21617 beyond it), about 10 GSM-7 segments. Upstream had no limit.
 */
export const DEFAULT_MAX_TEXT_CHARS = 1600;
/** A send body without inline media is a few hundred bytes. */
export const SEND_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * With a media store, a body may carry inline media up to MEDIA_MAX_BYTES in all, base64
 * (4 bytes per 3) plus the rest of the request; a larger body is a 413 before it is parsed.
 */
export function sendBodyLimit(maxMediaBytes: number | undefined): number {
  return maxMediaBytes === undefined ? SEND_BODY_LIMIT_BYTES : Math.ceil(maxMediaBytes / 3) * 4 + SEND_BODY_LIMIT_BYTES;
}
/** Told to callers answered 503: the bus is usually back within a second or two. */
const RETRY_AFTER_SECS = '1';

const NOT_OWNED = "You do not own the 'from' number";

/**
 * The sending number: the given one if the client owns it (exact canonical E.164 on both sides,
 * so `+1 (250) 555-1234` matches `+12505551234`), or the client's only number when none is given.
 */
export function resolveFrom(client: ClientDetails, given: string): string {
  if (given.trim() === '') {
    const only = client.numbers.length === 1 ? client.numbers[0] : undefined;
    if (!only) throw new ValidationError("'from' field is required when multiple numbers exist");
    return normalizeE164(only.number) ?? only.number;
  }
  const from = normalizeE164(given);
  if (from === null || !client.numbers.some((n) => normalizeE164(n.number) === from)) {
    throw new ForbiddenError(NOT_OWNED);
  }
  return from;
}

/** The destination in canonical E.164, or a 400 (upstream let the router drop it silently, BUG-7). */
export function resolveTo(given: string): string {
  if (given.trim() === '') throw new ValidationError("'to' field is required");
  const to = normalizeE164(given);
  if (to === null) throw new ValidationError(`Invalid 'to' number "${given}": use E.164, e.g. +14155559876`);
  return to;
}

function checkText(text: string, hasMedia: boolean, maxChars: number): void {
  if (text.trim() === '' && !hasMedia) throw new ValidationError("'text' field is required when no media is given");
  const length = [...text].length;
  if (length > maxChars) {
    throw new ValidationError(`'text' is too long: ${length} characters, at most ${maxChars}`);
  }
}

interface BuildContext {
  auth: ClientAuth;
  request: SendRequest;
  sourceIp: string;
  node: string;
  maxTextChars: number;
  /** Where inline media are stored; without it they are refused. */
  media?: MediaSink;
}

/**
 * The Message a request asks for, after every check of upstream §5.9 steps 1–4. Inline media
 * are stored last, once everything else passed, so a refused request stores nothing.
 */
export async function buildMessage({ auth, request, sourceIp, node, maxTextChars, media: sink }: BuildContext): Promise<Message> {
  const { client } = auth;
  if (request.clientId !== 0 && request.clientId !== client.id) {
    throw new ForbiddenError('Authenticated client does not match specified client_id');
  }
  const to = resolveTo(request.to);
  const from = resolveFrom(client, request.from);
  assertKeyMaySendFrom(auth, from);
  const hasMedia = request.media.some((item) => item.url.trim() !== '' || item.content !== '');
  // Text is kept for MMS (upstream dropped it, BUG-15).
  checkText(request.text, hasMedia, maxTextChars);
  const media = await mediaRefs(request.media, sink);
  return {
    v: 1,
    id: randomUUID(),
    type: media.length > 0 ? 'mms' : 'sms',
    from,
    to,
    text: request.text,
    media,
    origin: { kind: 'web', clientId: client.id, sourceIp, node },
    receivedAt: Date.now(),
    notice: false,
  };
}

/**
 * For bicom clients, answers a GatewayError as `{"status":"error","message":...}` with the
 * status of its code (upstream §11.1); other formats leave it to the error middleware.
 */
function formatErrors(logger: Logger): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof GatewayError) || !usesStatusErrors(apiFormatOf(clientAuthOf(ctx).client))) throw err;
      const status = wireStatus[err.code].http;
      if (status >= 500) logger.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
      ctx.status = status;
      ctx.body = { status: 'error', message: err.expose ? err.message : 'internal error' };
    }
  };
}

function sourceIpOf(ctx: Context, trusted: TrustedProxies): string {
  return clientIp(
    { peer: ctx.req.socket.remoteAddress, forwardedFor: ctx.get('X-Forwarded-For'), realIp: ctx.get('X-Real-IP') },
    trusted,
  );
}

/**
 * POST /messages/send and POST /messages (upstream §5.9; the second is Bicom's path): one
 * handler, the request shape of the client's `api_format`. The message is published to
 * msg.in.web and the caller is answered only after the stream acknowledged it (design.md);
 * when it cannot be stored the answer is 503 and nothing was accepted.
 */
export function registerMessageRoutes(router: Router, deps: WebDeps): void {
  const trusted = trustedProxies(deps.trustedProxies ?? []);
  const maxTextChars = deps.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
  const metrics = deps.metrics?.metrics;
  const ingress = ingressOf(deps);

  const send = async (ctx: Context) => {
    const started = performance.now();
    const auth = clientAuthOf(ctx);
    const format = apiFormatOf(auth.client);
    const message = await buildMessage({
      auth,
      request: parseSendRequest(format, ctx.request.body),
      sourceIp: sourceIpOf(ctx, trusted),
      node: deps.serverId,
      maxTextChars,
      media: deps.media,
    });
    try {
      await ingress('web', message);
    } catch (err) {
      // Over quota (upstream §5.9 step 5): 429 with upstream's body, nothing stored.
      if (err instanceof QuotaRefusedError) {
        ctx.set('Retry-After', String(Math.ceil(err.retryAfterMs / 1000)));
        throw err;
      }
      ctx.set('Retry-After', RETRY_AFTER_SECS);
      throw new UnavailableError('The message could not be stored; nothing was sent. Try again later.', { cause: err });
    }
    metrics?.ingress.inc({ protocol: 'web' });
    metrics?.ingressLatency.observe({ protocol: 'web' }, (performance.now() - started) / 1000);
    const answer = acceptedAnswer(format, message.id);
    ctx.status = answer.status;
    ctx.body = answer.body;
  };

  const chain = [requireScope('send'), formatErrors(deps.logger), jsonBody({ limitBytes: sendBodyLimit(deps.media?.maxBytes) }), send];
  router.post('/messages/send', ...chain);
  router.post('/messages', ...chain);
}
