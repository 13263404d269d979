/**
 * A small client of a node's REST API (docs/admin-api.md): admin routes with the admin key, and
 * the web clients' routes (/messages/*) with a client's API key.
 */
import { ApiError, ConnectError } from './errors.js';

export type Json = Record<string, unknown>;

export interface ApiOptions {
  url: string;
  /** The admin API key (Basic auth, any username: docs/admin-api.md "Auth"). */
  apiKey: string;
  timeoutMs: number;
}

export interface RequestOptions {
  body?: unknown;
  /** A multipart/form-data body instead of JSON (a CSV upload); fetch writes its Content-Type. */
  form?: FormData;
  query?: Record<string, string | number | undefined>;
  /** A web client's `gw_live_` key instead of the admin key (sent as Bearer). */
  clientKey?: string;
  /** Answers that are not JSON (Prometheus text) come back as a string. */
  text?: boolean;
}

/** An error code such as `rate_limit_exceeded` says less than the message beside it. */
const ERROR_CODE = /^[a-z]+(_[a-z]+)+$/;

/** The API's own words for what went wrong, on one line. */
export function errorText(status: number, statusText: string, body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed === 'object') {
    const { error, message, detail } = parsed as Json;
    const main =
      typeof error === 'string' && !(ERROR_CODE.test(error) && typeof message === 'string')
        ? error
        : typeof message === 'string'
          ? message
          : undefined;
    if (main) return typeof detail === 'string' && detail !== '' ? `${main}: ${detail}` : main;
  }
  const line = body.trim().split('\n')[0];
  return line || statusText || `HTTP ${status}`;
}

export class AdminApi {
  constructor(readonly options: ApiOptions) {}

  get<T = unknown>(path: string, query?: RequestOptions['query'], extra: Omit<RequestOptions, 'query' | 'body'> = {}): Promise<T> {
    return this.request<T>('GET', path, { ...extra, query });
  }

  post<T = unknown>(path: string, body?: unknown, extra: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('POST', path, { ...extra, body: body ?? {} });
  }

  put<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  patch<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }

  delete<T = unknown>(path: string, extra: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, extra);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = this.#url(path, options.query);
    const headers: Record<string, string> = { accept: 'application/json', authorization: this.#authorization(options) };
    if (options.body !== undefined && !options.form) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: options.form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new ConnectError(`cannot reach ${this.options.url}: ${reason(err, this.options.timeoutMs)}`);
    }
    const text = await res.text();
    if (!res.ok) throw new ApiError(res.status, errorText(res.status, res.statusText, text), safeJson(text));
    if (options.text) return text as T;
    return (text === '' ? undefined : (safeJson(text) ?? text)) as T;
  }

  #url(path: string, query: RequestOptions['query']): string {
    const url = new URL(this.options.url + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  #authorization(options: RequestOptions): string {
    if (options.clientKey) return `Bearer ${options.clientKey}`;
    return `Basic ${Buffer.from(`msggw:${this.options.apiKey}`).toString('base64')}`;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Why fetch failed, without undici's "fetch failed" wrapper. */
function reason(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
