import { NotFoundError, PayloadTooLargeError, UnavailableError } from '../errors/index.js';
import { MediaUrlRefusedError } from './url-guard.js';

export interface FetchMediaOptions {
  /** The carrier's auth (Twilio: Basic SID:token), or none. */
  headers?: Record<string, string>;
  /** Downloads past this many bytes are cut off and refused. */
  maxBytes: number;
  signal: AbortSignal;
  /** The node's guarded fetch (createMediaUrlGuard); tests may pass another. */
  fetch: typeof fetch;
}

export interface FetchedMedia {
  bytes: Buffer;
  /** The response's Content-Type ('' when none). */
  contentType: string;
}

/** Answers that will not change when asked again: the media is gone or never was ours to get. */
const FINAL_STATUSES = new Set([400, 401, 403, 404, 410]);

/**
 * GETs a media URL (following redirects: Twilio's media URLs redirect to storage), counting
 * bytes as they arrive and aborting past `maxBytes`, so an oversized file never sits in
 * memory. Throws PayloadTooLargeError, NotFoundError for a final refusal, and UnavailableError
 * (retry later) for network errors, timeouts and other statuses.
 */
export async function fetchMedia(url: string, options: FetchMediaOptions): Promise<FetchedMedia> {
  const local = new AbortController();
  const signal = AbortSignal.any([options.signal, local.signal]);
  let res: Response;
  try {
    res = await options.fetch(url, { headers: options.headers, signal, redirect: 'follow' });
  } catch (err) {
    // A guarded fetch's refusal (MediaUrlRefusedError, ./url-guard.ts) is final; fetch() wraps
    // one made at connect time in its TypeError.
    const refused = err instanceof MediaUrlRefusedError ? err : (err as { cause?: unknown })?.cause;
    if (refused instanceof MediaUrlRefusedError) throw refused;
    throw new UnavailableError(`media ${url} could not be fetched`, { cause: err });
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    const Err = FINAL_STATUSES.has(res.status) ? NotFoundError : UnavailableError;
    throw new Err(`media ${url} answered HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > options.maxBytes) {
    local.abort();
    throw new PayloadTooLargeError(`media ${url} is ${declared} bytes; at most ${options.maxBytes} are accepted`);
  }
  const bytes = await readLimited(res, options.maxBytes, url, local);
  return { bytes, contentType: res.headers.get('content-type') ?? '' };
}

async function readLimited(res: Response, maxBytes: number, url: string, local: AbortController): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body ?? []) {
      size += chunk.length;
      if (size > maxBytes) {
        local.abort();
        throw new PayloadTooLargeError(`media ${url} is larger than ${maxBytes} bytes`);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof PayloadTooLargeError) throw err;
    throw new UnavailableError(`media ${url} could not be read completely`, { cause: err });
  }
  return Buffer.concat(chunks);
}
