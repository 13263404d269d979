/**
 * Inbound helpers shared by the drivers: header lookup, form parsing, the answers to give the
 * carrier, and the media filter every carrier applies.
 */
import type { HeaderMap, InboundMedia, InboundResponse, InboundResult } from './types.js';

/** The first value of a header, matched case-insensitively; '' when absent. */
export function header(headers: HeaderMap, name: string): string {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? (value[0] ?? '') : value;
  }
  return '';
}

/** The media type without parameters, lowercased ('application/json; charset=utf-8' → 'application/json'). */
export function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function isForm(contentType: string): boolean {
  return mediaType(contentType) === 'application/x-www-form-urlencoded';
}

/** Every field of a form body; a repeated name keeps all its values in order. */
export function formEntries(rawBody: Buffer): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(rawBody.toString('utf8'))) {
    const list = fields.get(name);
    if (list) list.push(value);
    else fields.set(name, [value]);
  }
  return fields;
}

/** A form body as name → first value. */
export function formFields(rawBody: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of formEntries(rawBody)) out[name] = values[0] ?? '';
  return out;
}

/**
 * Keeps a media part only when its content type has exactly one '/' (upstream §10.1–10.2 skip
 * the others) and it has a URL.
 */
export function validMedia(url: string, contentType: string): InboundMedia | undefined {
  if (!url || contentType.split('/').length !== 2) return undefined;
  return { url, contentType };
}

export function okResponse(body = '', contentType = 'text/plain; charset=utf-8'): InboundResponse {
  return { status: 200, contentType, body };
}

/** A refused webhook: a 400 with a JSON error and nothing routed (the carrier may retry). */
export function badRequest(error: string): InboundResult {
  return {
    messages: [],
    statuses: [],
    response: { status: 400, contentType: 'application/json', body: JSON.stringify({ error }) },
  };
}

export function emptyResult(response: InboundResponse = okResponse()): InboundResult {
  return { messages: [], statuses: [], response };
}

/** True when `value` is a plain JSON object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
