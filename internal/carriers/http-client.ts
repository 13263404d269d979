/**
 * The HTTP client under every carrier call. The carrier leader uses a KeepAlivePool (undici's
 * keep-alive pools: far cheaper per request than fetch, whose web streams and abort signals cost
 * more than the call itself at thousands of sends a second); tests may pass any fetch instead.
 */
import { EventEmitter } from 'node:events';
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
/** undici's codes for its own timeouts (connect, headers, body stall): also "no answer in time". */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * A keep-alive connection pool owned by one carrier or webhook worker; close() when it stops.
 *
 * Built on undici's Agent (one pool per origin) rather than node:http: at thousands of calls a
 * second undici spends less than half the CPU per call (docs/decisions.md). Each call has one
 * deadline, `timeoutMs` from start to the last body byte (connect included), kept by a timer of
 * its own: undici's headers/body timeouts are checked coarsely (up to ~1 s late) and its connect
 * timeout is per pool, not per call.
 */
export class KeepAlivePool {
  readonly #agent = new UndiciAgent({ connections: MAX_SOCKETS });

  readonly request: HttpClient = async (req) => {
    if (req.signal.aborted) throw new Error('aborted');
    const url = new URL(req.url);
    const call = new CallAbort();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      call.abort();
    }, req.timeoutMs);
    const calls = callsOf(req.signal);
    calls.add(call);
    try {
      const res = await this.#agent.request({
        origin: url.origin, path: `${url.pathname}${url.search}`, method: req.method as Dispatcher.HttpMethod,
        headers: req.headers, body: req.body, signal: call,
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: headerGetter(res.headers), body };
    } catch (err) {
      if (timedOut || TIMEOUT_CODES.has((err as { code?: string }).code ?? '')) {
        throw new HttpTimeoutError(`timed out after ${req.timeoutMs} ms`, { cause: err });
      }
      throw err;
    } finally {
      clearTimeout(timer);
      calls.delete(call);
    }
  };

  close(): void {
    void this.#agent.destroy().catch(() => undefined);
  }
}

/**
 * One call's abort switch, as undici takes it (an EventEmitter with `aborted`, which its
 * `signal` option accepts): ~40 ns to make against ~3 µs for an AbortController, at one per send.
 */
class CallAbort extends EventEmitter {
  aborted = false;
  reason: unknown;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = new Error('aborted');
    this.emit('abort');
  }
}

/** The calls in flight under each caller's signal; that signal gets one listener for all of them. */
const inFlight = new WeakMap<AbortSignal, Set<CallAbort>>();

/**
 * A worker's stop signal is shared by every call it has in flight (hundreds): one listener aborts
 * them all, where a listener per call cost an add and a linear remove on the signal per send (and
 * Node's listener-leak warning past 10).
 */
function callsOf(signal: AbortSignal): Set<CallAbort> {
  let calls = inFlight.get(signal);
  if (!calls) {
    const set = new Set<CallAbort>();
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
