/**
 * Outbound HTTP shared by the drivers: one call with its own timeout, the body read once, and
 * every failure turned into a CarrierError that says whether a retry can help.
 */
import { CarrierError } from '../errors/index.js';
import { fetchClient, HttpTimeoutError, type HttpClient, type HttpResponse } from './http-client.js';

/** Upstream's limit for every carrier call (§10: 30 s). */
export const CARRIER_TIMEOUT_MS = 30_000;
/** Upstream's limit for an OneVoicePlus media upload (§10.3: 60 s). */
export const UPLOAD_TIMEOUT_MS = 60_000;

const USER_AGENT = 'msggw';

export interface CarrierCall {
  /** Carrier type, for error texts. */
  carrier: string;
  /** What the call does, for error texts ("send", "media upload"). */
  what: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** The worker's keep-alive pool; without it, `fetch` (or the global fetch) is used. */
  http?: HttpClient;
  fetch?: typeof fetch;
  signal: AbortSignal;
  timeoutMs?: number;
}

export interface CarrierReply {
  status: number;
  headers: HttpResponse['headers'];
  body: Buffer;
  text: string;
}

/** The carrier's refusal, as read from its error body. */
export interface CarrierRefusal {
  code?: string;
  message?: string;
  optOut?: boolean;
  /** Overrides the status-based choice for codes known to clear up (a full sender queue). */
  retryable?: boolean;
}

/** Joins an API base ('' = `fallback`) and a path, without doubling slashes. */
export function apiUrl(base: string, fallback: string, path: string): string {
  const root = (base.trim() || fallback).replace(/\/+$/, '');
  return `${root}${path}`;
}

/** A URL's origin ('' when it cannot be parsed). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/**
 * True when `url` is on one of the carrier's own hosts: https on exactly one of `hosts` (default
 * port, no user info), or on the origin of the row's `apiBaseUrl` (a regional or test endpoint
 * the operator chose). A carrier's credentials go to nothing else.
 */
export function onCarrierHost(url: string, hosts: (host: string) => boolean, apiBaseUrl: string): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.username || target.password) return false;
  if (apiBaseUrl.trim() && target.origin === originOf(apiBaseUrl.trim())) return true;
  return target.protocol === 'https:' && target.port === '' && hosts(target.hostname);
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * Performs one call. Resolves with any HTTP answer (the caller judges the status); rejects with
 * a retryable CarrierError when there is no answer (network error, timeout, abort).
 */
export async function callCarrier(call: CarrierCall): Promise<CarrierReply> {
  const client = call.http ?? fetchClient(call.fetch ?? fetch);
  try {
    const res = await client({
      url: call.url,
      method: call.method ?? 'POST',
      headers: { 'user-agent': USER_AGENT, ...call.headers },
      body: call.body,
      signal: call.signal,
      timeoutMs: call.timeoutMs ?? CARRIER_TIMEOUT_MS,
    });
    return { status: res.status, headers: res.headers, body: res.body, text: res.body.toString('utf8') };
  } catch (err) {
    throw noAnswer(call, err, err instanceof HttpTimeoutError);
  }
}

function noAnswer(call: CarrierCall, cause: unknown, timedOut: boolean): CarrierError {
  const why = timedOut
    ? `timed out after ${call.timeoutMs ?? CARRIER_TIMEOUT_MS} ms`
    : call.signal.aborted
      ? 'aborted'
      : `network error: ${describe(cause)}`;
  return new CarrierError(`${call.carrier} ${call.what}: ${why}`, { retryable: true, cause });
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const inner = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return `${err.message}${inner}`;
}

/** HTTP statuses worth another try: the carrier may accept the same request later. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Builds the error for a non-2xx answer: retryable by status, opt-outs never retried. */
export function refusedError(call: Pick<CarrierCall, 'carrier' | 'what'>, status: number, refusal: CarrierRefusal): CarrierError {
  const code = refusal.code ? ` code ${refusal.code}` : '';
  const text = refusal.message ? `: ${refusal.message}` : '';
  const optOut = refusal.optOut ?? false;
  return new CarrierError(`${call.carrier} ${call.what}: HTTP ${status}${code}${text}`, {
    retryable: !optOut && (refusal.retryable ?? isRetryableStatus(status)),
    status,
    carrierCode: refusal.code,
    optOut,
  });
}

/** A 2xx answer whose body lacks what we need: the carrier may have accepted it, so no retry. */
export function badAnswerError(call: Pick<CarrierCall, 'carrier' | 'what'>, status: number, problem: string): CarrierError {
  return new CarrierError(`${call.carrier} ${call.what}: HTTP ${status} but ${problem}`, { retryable: false, status });
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** JSON.parse that answers undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Reads a nested field of unknown JSON (`pick(obj, 'data', 'id')`). */
export function pick(value: unknown, ...path: Array<string | number>): unknown {
  let cur = value;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/** A string or number field as a string; '' when absent. */
export function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}
