import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeAnswer } from './answer.js';
import { IDEMPOTENCY_HEADER } from './idempotency.js';
import { readRequestBody } from './middleware/json-body.js';
import { countRequest } from './middleware/metrics.js';
import { SEND_PATHS as PATHS, type SendRoute } from './routes/messages.js';
import type { Logger, WebMetrics } from './types.js';

/** The paths the fast path takes, exactly as clients write them; any other spelling goes to Koa. */
export const SEND_PATHS: ReadonlySet<string> = new Set(PATHS);

/**
 * The send fast path: POST /messages/send and POST /messages answered on node:http, before Koa.
 *
 * Why a second path beside Koa's route: it is the one route a busy gateway serves thousands of
 * times a second, and Koa's context objects, routers and composed middleware cost a large share
 * of a REST message's CPU (measured with and without it: docs/decisions.md). The route itself
 * is shared: SendRoute decides the answer, the fast path only reads the request and writes what
 * it decided, and records the HTTP metrics the Koa middleware would have. Every other request,
 * and any other spelling of these paths (a trailing slash), is Koa's, with the same SendRoute.
 */
export class SendFastPath {
  constructor(
    private readonly route: SendRoute,
    private readonly web: WebMetrics | undefined,
    private readonly logger: Logger,
  ) {}

  /** True when the fast path took the request (and will answer it). */
  take(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    if (!SEND_PATHS.has(path)) return false;
    // SendRoute.answer never throws; this guards the write, so no input can crash the process.
    this.#serve(req, res, path).catch((err: unknown) => {
      this.logger.error({ err, method: 'POST', path }, 'request failed');
      res.destroy();
    });
    return true;
  }

  async #serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const started = performance.now();
    const answer = await this.route.answer({
      method: 'POST',
      path,
      authorization: header(req, 'authorization'),
      idempotencyKey: header(req, IDEMPOTENCY_HEADER),
      readBody: (limitBytes) => readRequestBody(req, limitBytes),
      peer: req.socket.remoteAddress,
      forwardedFor: header(req, 'x-forwarded-for'),
      realIp: header(req, 'x-real-ip'),
    });
    writeAnswer(res, answer);
    if (this.web) countRequest(this.web, 'POST', path, answer.status, (performance.now() - started) / 1000);
  }
}

/** A request header as Koa's ctx.get() gives it: '' when absent, repeated values joined. */
function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}
