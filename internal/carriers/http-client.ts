/**
 * The HTTP client under every carrier call. The carrier leader uses a KeepAlivePool (undici's
 * keep-alive pools: far cheaper per request than fetch, whose web streams and abort signals cost
 * more than the call itself at thousands of sends a second); tests may pass any fetch instead.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Agent as UndiciAgent, type Dispatcher } from 'undici';

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: Buffer;
}

export type HttpClient = (req: HttpRequest) => Promise<HttpResponse>;

/** Thrown when the call's own timeout fires (distinct from an abort by the caller). */
export class HttpTimeoutError extends Error {
  override name = 'TimeoutError';
}

/** Adapts a fetch function (tests, or no pool) to HttpClient. */
export function fetchClient(doFetch: typeof fetch): HttpClient {
  return async (req) => {
    const signal = AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]);
    try {
      const res = await doFetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal });
      return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    } catch (err) {
      if (signal.aborted && !req.signal.aborted) throw new HttpTimeoutError(`timed out after ${req.timeoutMs} ms`);
      throw err;
    }
  };
}

/** Sockets kept open per carrier host: enough for the leader's send concurrency. */
const MAX_SOCKETS = 128;
/** TCP (and TLS) connect limit; the call's own timeout then bounds the wait for the answer. */
const CONNECT_TIMEOUT_MS = 10_000;

/** undici's codes for "no answer in time" (connect, headers, or a stall in the body). */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * A keep-alive connection pool owned by one carrier or webhook worker; close() when it stops.
 *
 * Built on undici's Agent (one pool per origin) rather than node:http: at thousands of calls a
 * second undici spends less than half the CPU per call (bench in docs/decisions.md), and the
 * call's timeout is the pool's own headers/body timeout instead of a timer per request (undici
 * checks those timers coarsely: a call may run up to ~1 s past a sub-second timeout).
 */
export class KeepAlivePool {
  readonly #agent = new UndiciAgent({ connections: MAX_SOCKETS, connect: { timeout: CONNECT_TIMEOUT_MS } });

  readonly request: HttpClient = async (req) => {
    if (req.signal.aborted) throw new Error('aborted');
    const url = new URL(req.url);
    try {
      const res = await this.#agent.request({
        origin: url.origin, path: `${url.pathname}${url.search}`, method: req.method as Dispatcher.HttpMethod,
        headers: req.headers, body: req.body, signal: req.signal,
        headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs,
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: headerGetter(res.headers), body };
    } catch (err) {
      if (TIMEOUT_CODES.has((err as { code?: string }).code ?? '')) {
        throw new HttpTimeoutError(`timed out after ${req.timeoutMs} ms`, { cause: err });
      }
      throw err;
    }
  };

  close(): void {
    void this.#agent.destroy().catch(() => undefined);
  }
}

function headerGetter(headers: IncomingHttpHeaders): HttpResponse['headers'] {
  return {
    get: (name) => {
      const value = headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };
}
