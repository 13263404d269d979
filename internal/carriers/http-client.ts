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

/** Sockets per host by default (webhook hosts; a carrier's pool is sized to its sends in flight). */
const DEFAULT_SOCKETS = 128;
/** undici's codes for its own timeouts (connect, headers, body stall): also "no answer in time". */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * A keep-alive connection pool owned by one carrier or webhook worker; close() when it stops.
 *
 * Built on undici's Agent (one pool per origin) rather than node:http: at thousands of calls a
 * second undici spends less than half the CPU per call (docs/decisions.md). Calls go through
 * `dispatch` with a handler that gathers the body, not `request`, which wraps every answer in a
 * Readable stream: ~8 µs less CPU per call (measured against a loopback server, 42 → 33 µs).
 * Each call has one deadline, `timeoutMs` from start to the last body byte (connect included),
 * kept by a timer of its own: undici's headers/body timeouts are checked coarsely (up to ~1 s
 * late) and its connect timeout is per pool, not per call.
 */
export class KeepAlivePool {
  readonly #agent: UndiciAgent;

  /**
   * `connections`: sockets per host, so calls in flight beyond it wait for one. A carrier
   * leader passes its send concurrency: with fewer sockets than sends, a carrier answering in
   * 200 ms would cap the leader at sockets ÷ 0.2 s whatever its max_rps allows.
   */
  constructor(connections = DEFAULT_SOCKETS) {
    this.#agent = new UndiciAgent({ connections });
  }

  readonly request: HttpClient = (req) => {
    if (req.signal.aborted) return Promise.reject(new Error('aborted'));
    const url = new URL(req.url);
    return new Promise<HttpResponse>((resolve, reject) => {
      const call = new Call(req, resolve, reject);
      this.#agent.dispatch({
        origin: url.origin, path: `${url.pathname}${url.search}`, method: req.method as Dispatcher.HttpMethod,
        headers: req.headers, body: req.body,
      }, call);
    });
  };

  close(): void {
    void this.#agent.destroy().catch(() => undefined);
  }
}

/**
 * One call: undici's response handler, its deadline and its abort switch. Settles once; an abort
 * or timeout settles at once even while the request still waits for a socket (undici can only
 * cancel it when it reaches one, at onRequestStart).
 */
class Call implements Dispatcher.DispatchHandler {
  #controller?: Dispatcher.DispatchController;
  #reason?: Error;
  #settled = false;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  readonly #chunks: Buffer[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #calls: Set<Call>;

  constructor(
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
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.settle(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#reason) controller.abort(this.#reason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#status = statusCode;
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.settle(undefined, { status: this.#status, headers: headerGetter(this.#headers), body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    // Our own abort (a timeout, a stop) may come back here before abort() settles: its reason wins.
    if (this.#reason) return this.settle(this.#reason);
    const code = (err as { code?: string }).code ?? '';
    this.settle(TIMEOUT_CODES.has(code) ? new HttpTimeoutError(`timed out: ${err.message}`, { cause: err }) : err);
  }

  private settle(err: Error | undefined, res?: HttpResponse): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#calls.delete(this);
    if (err) this.reject(err);
    else this.resolve(res!);
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
    signal.addEventListener('abort', () => {
      for (const call of set) call.abort();
    }, { once: true });
    inFlight.set(signal, set);
    calls = set;
  }
  return calls;
}

function headerGetter(headers: IncomingHttpHeaders): HttpResponse['headers'] {
  return {
    get: (name) => {
      const value = headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };
}
