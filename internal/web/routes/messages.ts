import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { normalizeE164 } from '../../../proto/e164.js';
import { newMessage, type Message } from '../../../proto/message.js';
import { ForbiddenError, GatewayError, OutcomeUnknownError, UnavailableError, ValidationError, wireStatus } from '../../errors/index.js';
import { LogEvent } from '../../log/index.js';
import { DEFAULT_MAX_TEXT_CHARS } from '../../text/index.js';
import { clientNumber, type ClientDetails } from '../../store/index.js';
import { applyAnswer, type WebAnswer } from '../answer.js';
import { trustedProxies, type TrustedProxies } from '../../peer/index.js';
import { clientIp } from '../client-ip.js';
import type { ApiDocs } from '../api-docs.js';
import { acceptedAnswer, apiFormatOf, parseSendRequest, sendBodySchema, usesStatusErrors, type SendRequest } from '../formats.js';
import { idempotencyKeyHeader, idempotencyKeyOf, restMessageId } from '../idempotency.js';
import { mediaRefs } from '../media-refs.js';
import { admitClient, assertKeyMaySendFrom, assertScope, type ClientAuth, type ClientAuthenticator } from '../middleware/client-auth.js';
import { errorAnswer } from '../middleware/errors.js';
import { parseJson, readRequestBody } from '../middleware/json-body.js';
import { QuotaRefusedError } from '../../quota/index.js';
import type { MediaSink, MessageIngress, WebDeps } from '../types.js';
import { errorView, statusErrorView } from '../views.js';

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
  if (from === null || !clientNumber(client, from)) {
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
  /** The client's Idempotency-Key: the same key gives the same message id (idempotency.ts). */
  idempotencyKey?: string;
  /** Where inline media are stored; without it they are refused. */
  media?: MediaSink;
  /** Told of a number refused (gomsggw's `Invalid sender number` / `Invalid destination number` log events). */
  onRefused?: (event: LogEvent, reason: string) => void;
}

/**
 * The Message a request asks for, after every check of upstream §5.9 steps 1–4. Inline media
 * are stored last, once everything else passed, so a refused request stores nothing.
 */
export async function buildMessage(context: BuildContext): Promise<Message> {
  const { auth, request, sourceIp, node, maxTextChars, idempotencyKey, media: sink, onRefused } = context;
  const { client } = auth;
  if (request.clientId !== 0 && request.clientId !== client.id) {
    throw new ForbiddenError('Authenticated client does not match specified client_id');
  }
  const checked = <T>(event: LogEvent, check: () => T): T => {
    try {
      return check();
    } catch (err) {
      onRefused?.(event, (err as Error).message);
      throw err;
    }
  };
  const to = checked(LogEvent.InvalidDestinationNumber, () => resolveTo(request.to));
  const from = checked(LogEvent.InvalidSenderNumber, () => resolveFrom(client, request.from));
  assertKeyMaySendFrom(auth, from);
  const hasMedia = request.media.some((item) => item.url.trim() !== '' || item.content !== '');
  // Text is kept for MMS (upstream dropped it, BUG-15).
  checkText(request.text, hasMedia, maxTextChars);
  const media = await mediaRefs(request.media, sink);
  return newMessage({
    id: restMessageId(client.id, idempotencyKey),
    from,
    to,
    text: request.text,
    media,
    origin: { kind: 'web', clientId: client.id, sourceIp, node },
  });
}

/** What the send route reads of a request, whichever way it came in (Koa, or the fast path). */
export interface SendCall {
  method: string;
  path: string;
  /** The Authorization header, '' when absent. */
  authorization: string;
  /** The Idempotency-Key header, '' when absent. */
  idempotencyKey: string;
  /** The body's bytes, or the answer refusing it (413, 415). */
  readBody(limitBytes: number): Promise<Buffer | WebAnswer>;
  /** The socket's peer address. */
  peer: string | undefined;
  forwardedFor: string;
  realIp: string;
}

/**
 * POST /messages/send and POST /messages (upstream §5.9; the second is Bicom's path): one
 * route, the request shape of the client's `api_format`. The message is stored (the node's
 * ingress) and the caller is answered only once it is (design.md). When it is not, the answer is
 * 503 with the message id and an `outcome`: `not_stored` (nothing was accepted) or `unknown` (it
 * may be stored: a resend with `Idempotency-Key: <id>` enters once). The route decides an answer
 * as data, so the send fast path (send-fast-path.ts) and Koa write the same one.
 */
export class SendRoute {
  readonly #deps: WebDeps;
  readonly #authenticator: ClientAuthenticator;
  readonly #trusted: TrustedProxies;
  readonly #maxTextChars: number;
  readonly #bodyLimit: number;
  readonly #ingress: MessageIngress;

  constructor(deps: WebDeps, authenticator: ClientAuthenticator) {
    this.#deps = deps;
    this.#authenticator = authenticator;
    this.#trusted = trustedProxies(deps.trustedProxies ?? []);
    this.#maxTextChars = deps.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
    this.#bodyLimit = sendBodyLimit(deps.media?.maxBytes);
    this.#ingress = deps.ingress;
  }

  /** The answer to `call`; never throws. */
  async answer(call: SendCall): Promise<WebAnswer> {
    let auth: ClientAuth;
    const sourceIp = clientIp({ peer: call.peer, forwardedFor: call.forwardedFor, realIp: call.realIp }, this.#trusted);
    try {
      const admitted = await admitClient(this.#authenticator, call.authorization, sourceIp);
      if ('refused' in admitted) return admitted.refused;
      auth = admitted.auth;
      assertScope(auth, 'send');
    } catch (err) {
      return errorAnswer(err, this.#deps.logger, where(call));
    }
    try {
      return await this.#send(auth, call, sourceIp);
    } catch (err) {
      return this.#failed(err, auth, call);
    }
  }

  async #send(auth: ClientAuth, call: SendCall, sourceIp: string): Promise<WebAnswer> {
    const raw = await call.readBody(this.#bodyLimit);
    if (!Buffer.isBuffer(raw)) return raw;
    const started = performance.now();
    const format = apiFormatOf(auth.client);
    const idempotencyKey = idempotencyKeyOf(call.idempotencyKey);
    const message = await buildMessage({
      auth,
      request: parseSendRequest(format, parseJson(raw)),
      sourceIp,
      node: this.#deps.serverId,
      maxTextChars: this.#maxTextChars,
      idempotencyKey,
      media: this.#deps.media,
      onRefused: (event, reason) => this.#deps.logger.info({ event, client: auth.client.username, sourceIp, reason }, 'send refused'),
    });
    try {
      // A client's key may come again after the bus's dedup window: the ingress remembers it.
      await this.#ingress('web', message, message.id, idempotencyKey !== undefined);
    } catch (err) {
      // Over quota (upstream §5.9 step 5): 429 with upstream's body, nothing stored.
      if (err instanceof QuotaRefusedError) {
        return withRetryAfter(this.#failed(err, auth, call), String(Math.ceil(err.retryAfterMs / 1000)));
      }
      const failure = notAccepted(err, message.id);
      return withRetryAfter(this.#failed(failure, auth, call, failure.details), RETRY_AFTER_SECS);
    }
    const metrics = this.#deps.metrics?.metrics;
    metrics?.ingress.inc({ protocol: 'web' });
    metrics?.ingressLatency.observe({ protocol: 'web' }, (performance.now() - started) / 1000);
    return acceptedAnswer(format, message.id);
  }

  /**
   * A failure once the caller is known: for bicom clients a GatewayError is upstream's
   * `{"status":"error","message":...}` with the status of its code (§11.1), plus `bicomExtra`
   * (the id and outcome of a 503); anything else is the usual error answer.
   */
  #failed(err: unknown, auth: ClientAuth, call: SendCall, bicomExtra?: Record<string, unknown>): WebAnswer {
    if (!(err instanceof GatewayError) || !usesStatusErrors(apiFormatOf(auth.client)))
      return errorAnswer(err, this.#deps.logger, where(call));
    const status = wireStatus[err.code].http;
    if (status >= 500) this.#deps.logger.error({ err, ...where(call) }, 'request failed');
    return { status, body: { status: 'error', message: err.expose ? err.message : 'internal error', ...bicomExtra } };
  }
}

/** What a log line may say of a call: never its headers (the Authorization header is a secret). */
function where(call: SendCall): { method: string; path: string } {
  return { method: call.method, path: call.path };
}

/**
 * The 503 of a send the ingress did not accept, saying what is known of the message: maybe
 * stored (resend with its id as Idempotency-Key) or certainly not (resend as you like).
 */
function notAccepted(err: unknown, id: string): GatewayError {
  if (err instanceof OutcomeUnknownError) {
    return new OutcomeUnknownError(
      `The message may have been stored. Send it again with the header Idempotency-Key: ${id} and it is taken once.`,
      { cause: err, details: { id, outcome: 'unknown' } },
    );
  }
  return new UnavailableError('The message could not be stored; nothing was sent. Try again later.', {
    cause: err,
    details: { id, outcome: 'not_stored' },
  });
}

function withRetryAfter(answer: WebAnswer, seconds: string): WebAnswer {
  return { ...answer, headers: { ...answer.headers, 'Retry-After': seconds } };
}

/** The send route for Koa (paths the send fast path does not take, e.g. with a trailing slash). */
export function registerMessageRoutes(router: Router, route: SendRoute): void {
  const send = async (ctx: Context) => {
    applyAnswer(
      ctx,
      await route.answer({
        method: ctx.method,
        path: ctx.path,
        authorization: ctx.get('Authorization'),
        idempotencyKey: ctx.get('Idempotency-Key'),
        readBody: (limitBytes) => readRequestBody(ctx.req, limitBytes),
        peer: ctx.req.socket.remoteAddress,
        forwardedFor: ctx.get('X-Forwarded-For'),
        realIp: ctx.get('X-Real-IP'),
      }),
    );
  };
  for (const path of SEND_PATHS) router.post(path, send);
}

/** The paths of the send route, Koa's and the send fast path's (send-fast-path.ts) alike. */
export const SEND_PATHS = ['/messages/send', '/messages'] as const;

const queuedView = z.object({ status: z.literal('queued'), id: z.string().meta({ description: 'the message id' }) });
const bicomAcceptedView = z.object({ status: z.literal('success'), message: z.literal('') });
const notStoredView = z.union([errorView, statusErrorView]).meta({
  description: 'Not stored: `id` and `outcome` (not_stored: send again; unknown: send again with Idempotency-Key: <id>)',
});

/** The API document's entries for registerMessageRoutes (and the fast path, which takes the same paths). */
export function documentMessageRoutes(api: ApiDocs): void {
  for (const path of SEND_PATHS) {
    api.route({
      tag: 'Messages',
      auth: 'client',
      method: 'post',
      path,
      summary: path === '/messages' ? "Send an SMS or MMS (Bicom's path)" : 'Send an SMS or MMS (API keys: scope send)',
      description: "The body's shape is the client's api_format (client settings): generic, bicom or telnyx.",
      headers: z.object({ 'Idempotency-Key': idempotencyKeyHeader.optional() }),
      body: sendBodySchema,
      responses: {
        202: { description: 'Stored (generic and telnyx clients)', schema: queuedView },
        200: { description: 'Stored (bicom clients)', schema: bicomAcceptedView },
        403: { description: "Not the caller's client_id or from number, a legacy client, or a key without the scope" },
        429: { description: 'Over a usage limit, a key over its rate limit, or too many failed logins (Retry-After)' },
        503: { description: 'Not stored, or maybe stored (Retry-After)', schema: notStoredView },
      },
    });
  }
}
