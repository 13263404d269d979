/**
 * The HTTP client under every carrier call. The carrier leader uses a KeepAlivePool (node:http
 * with keep-alive agents: far cheaper per request than fetch, whose web streams and abort
 * signals cost more than the call itself at thousands of sends a second); tests may pass any
 * fetch instead.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

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

/** A keep-alive connection pool owned by one carrier worker; close() when the worker stops. */
export class KeepAlivePool {
  readonly #http = new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  readonly #https = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });

  readonly request: HttpClient = (req) => new Promise<HttpResponse>((resolve, reject) => {
    if (req.signal.aborted) return reject(new Error('aborted'));
    const secure = req.url.startsWith('https:');
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers = body ? { ...req.headers, 'content-length': String(body.length) } : req.headers;
    const outgoing = (secure ? httpsRequest : httpRequest)(req.url,
      { method: req.method, headers, agent: secure ? this.#https : this.#http });
    const onAbort = () => outgoing.destroy(new Error('aborted'));
    const timer = setTimeout(() => outgoing.destroy(new HttpTimeoutError(`timed out after ${req.timeoutMs} ms`)), req.timeoutMs);
    const done = () => {
      clearTimeout(timer);
      req.signal.removeEventListener('abort', onAbort);
    };
    req.signal.addEventListener('abort', onAbort, { once: true });
    outgoing.on('error', (err) => (done(), reject(err)));
    outgoing.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => (done(), reject(err)));
      res.on('end', () => {
        done();
        resolve({ status: res.statusCode ?? 0, headers: headerGetter(res.headers), body: Buffer.concat(chunks) });
      });
    });
    outgoing.end(body);
  });

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
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
