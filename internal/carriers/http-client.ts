/**
 * The HTTP client under every carrier and webhook call. Workers use a KeepAlivePool (our own
 * HTTP/1.1 keep-alive sockets, http1.ts: far cheaper per request than fetch, whose web streams
 * and abort signals cost more than the call itself at thousands of sends a second); tests may
 * pass any fetch instead.
 */
import type { ConnectionOptions } from 'node:tls';
import { formatRequest, Http1Pool, type Http1Answer, type Http1Call } from './http1.js';

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

/** Sockets per host by default (webhook hosts; a carrier's pool is sized to its sends in flight). */
const DEFAULT_SOCKETS = 128;

/**
 * Keep-alive connections owned by one carrier or webhook worker, a pool per origin (http1.ts);
 * close() when it stops.
 *
 * Each call has one deadline, `timeoutMs` from start to the last body byte (connect included),
 * kept by a timer of its own, and ends at once when the caller's signal aborts, even while it
 * still waits for a socket.
 */
export class KeepAlivePool {
  readonly #origins = new Map<string, Http1Pool>();
  readonly #targets = new Map<string, Target>();
  #closed = false;

  /**
   * `connections`: sockets per host, so calls in flight beyond it wait for one. A carrier
   * leader passes its send concurrency: with fewer sockets than sends, a carrier answering in
   * 200 ms would cap the leader at sockets ÷ 0.2 s whatever its max_rps allows.
   * `tls`: extra TLS options for every https origin (tests pass their CA).
   */
  constructor(
    private readonly connections = DEFAULT_SOCKETS,
    private readonly tls?: ConnectionOptions,
  ) {}

  readonly request: HttpClient = (req) => {
    if (req.signal.aborted) return Promise.reject(new Error('aborted'));
    if (this.#closed) return Promise.reject(new Error('connection pool closed'));
    let target: Target;
    let request: string;
    try {
      target = this.#target(req.url);
      request = formatRequest(req.method, target.host, target.path, req.headers, req.body);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const { pool } = target;
    return new Promise<HttpResponse>((resolve, reject) => pool.send(new Call(pool, request, req, resolve, reject)));
  };

  /** Sockets open now to `url`'s origin (tests). */
  sockets(url: string): number {
    return this.#origins.get(new URL(url).origin)?.size ?? 0;
  }

  close(): void {
    this.#closed = true;
    for (const pool of this.#origins.values()) pool.close();
    this.#origins.clear();
    this.#targets.clear();
  }

  /**
   * A worker calls the same few URLs (its carrier's endpoint, a client's webhook) thousands of
   * times a second: each is parsed once and kept, up to TARGETS_KEPT of them.
   */
  #target(href: string): Target {
    const known = this.#targets.get(href);
    if (known) return known;
    const url = new URL(href);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported URL scheme ${url.protocol}`);
    let pool = this.#origins.get(url.origin);
    if (!pool) {
      pool = new Http1Pool(url, { connections: this.connections, tls: this.tls });
      this.#origins.set(url.origin, pool);
    }
    if (this.#targets.size >= TARGETS_KEPT) this.#targets.clear();
    const target = { pool, host: url.host, path: `${url.pathname}${url.search}` };
    this.#targets.set(href, target);
    return target;
  }
}

/** A parsed URL: its origin's pool, the Host header and the request path. */
interface Target {
  pool: Http1Pool;
  host: string;
  path: string;
}

const TARGETS_KEPT = 1_024;

/** One call: its deadline and abort switch around the pool's work. Settles once. */
class Call implements Http1Call {
  #settled = false;
  readonly #timer: NodeJS.Timeout;
  readonly #calls: Set<Call>;

  constructor(
    private readonly pool: Http1Pool,
    readonly request: string,
    req: HttpRequest,
    private readonly resolve: (res: HttpResponse) => void,
    private readonly reject: (err: Error) => void,
  ) {
    this.#timer = setTimeout(() => this.abort(new HttpTimeoutError(`timed out after ${req.timeoutMs} ms`)), req.timeoutMs);
    this.#calls = callsOf(req.signal);
    this.#calls.add(this);
  }

  /** Stops the call with `reason` (a timeout, or the caller's stop signal). */
  abort(reason: Error = new Error('aborted')): void {
    if (this.#settled) return;
    this.pool.cancel(this);
    this.done(reason);
  }

  done(err: Error | undefined, res?: Http1Answer): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#calls.delete(this);
    if (err) this.reject(err);
    else this.resolve({ status: res!.status, headers: headerGetter(res!.headers), body: res!.body });
  }
}

/** The calls in flight under each caller's signal; that signal gets one listener for all of them. */
const inFlight = new WeakMap<AbortSignal, Set<Call>>();

/**
 * A worker's stop signal is shared by every call it has in flight (hundreds): one listener aborts
 * them all, where a listener per call cost an add and a linear remove on the signal per send (and
 * Node's listener-leak warning past 10).
 */
function callsOf(signal: AbortSignal): Set<Call> {
  let calls = inFlight.get(signal);
  if (!calls) {
    const set = new Set<Call>();
    signal.addEventListener(
      'abort',
      () => {
        for (const call of set) call.abort();
      },
      { once: true },
    );
    inFlight.set(signal, set);
    calls = set;
  }
  return calls;
}

function headerGetter(headers: Record<string, string>): HttpResponse['headers'] {
  return { get: (name) => headers[name.toLowerCase()] ?? null };
}
