import type { IncomingMessage } from 'node:http';
import type { Context, Middleware, Next } from 'koa';
import { ValidationError } from '../../errors/index.js';
import { cleanText, describeTextFault, textFault, type TextFault } from '../../text/index.js';
import { applyAnswer, type WebAnswer } from '../answer.js';

declare module 'koa' {
  interface Request {
    /** The parsed JSON request body; undefined when the request had none. */
    body?: unknown;
  }
}

/** Admin objects are a few hundred bytes; 1 MB leaves room for any real request. */
export const ADMIN_BODY_LIMIT_BYTES = 1024 * 1024;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface JsonBodyOptions {
  /** Larger bodies are answered 413 without being parsed. */
  limitBytes: number;
}

type ReadResult = { kind: 'ok'; bytes: Buffer } | { kind: 'too-large' };

/** Reads the whole body, stopping as soon as it passes `limitBytes`. */
function readBody(req: IncomingMessage, limitBytes: number): Promise<ReadResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.off('data', onData);
        req.resume();
        resolve({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve({ kind: 'ok', bytes: Buffer.concat(chunks) }));
    req.once('error', () => reject(new ValidationError('The request body was not received completely')));
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A JSON escape that may make a string PostgreSQL cannot store: `\u0000`, or a UTF-16 surrogate
 * half (paired or not). Raw control characters are invalid JSON and raw surrogates invalid
 * UTF-8, so an escape is the only way in, and a body without one needs no walk.
 */
const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/;

/**
 * The JSON value of `bytes`, undefined for an empty body; a 400 for anything unparseable, for
 * bytes that are not UTF-8, and for a string (value or key) holding U+0000 or an unpaired
 * surrogate, naming the field (textFault: the entry point refuses what the client can fix).
 */
export function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ValidationError('Invalid JSON body: the body is not valid UTF-8');
  }
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`Invalid JSON body: ${(err as Error).message}`);
  }
  const found = SUSPECT_ESCAPE.test(text) ? firstFault(value) : undefined;
  if (found) throw new ValidationError(`Invalid JSON body: ${describeTextFault(found.field, found.fault)}`);
  return value;
}

/** A string of a JSON value that textFault finds wrong, and where it is. */
interface FieldFault {
  field: string;
  fault: TextFault;
}

type Pending = Array<[object, string]>;

/**
 * The first faulty string in `root` with its path (`media[0].url`; a faulty key is named by its
 * path with the fault removed). Iterative, since nesting depth is the client's to choose; a path
 * is built only for a container or the culprit, so a long array costs no string per item.
 */
function firstFault(root: unknown): FieldFault | undefined {
  const pending: Pending = [];
  // A top-level string is 'body'; the top-level object's fields are named without a prefix.
  const atRoot = valueFault(root, () => (typeof root === 'string' ? 'body' : ''), pending);
  if (atRoot) return atRoot;
  while (pending.length > 0) {
    const [container, path] = pending.pop()!;
    const found = Array.isArray(container)
      ? arrayFault(container, path, pending)
      : objectFault(container as Record<string, unknown>, path, pending);
    if (found) return found;
  }
  return undefined;
}

function arrayFault(items: unknown[], path: string, pending: Pending): FieldFault | undefined {
  for (let i = 0; i < items.length; i++) {
    const found = valueFault(items[i], () => `${path}[${i}]`, pending);
    if (found) return found;
  }
  return undefined;
}

function objectFault(object: Record<string, unknown>, path: string, pending: Pending): FieldFault | undefined {
  for (const [key, value] of Object.entries(object)) {
    const field = () => (path ? `${path}.${key}` : key);
    const keyFault = textFault(key);
    if (keyFault) return { field: cleanText(field()), fault: keyFault };
    const found = valueFault(value, field, pending);
    if (found) return found;
  }
  return undefined;
}

/** Checks a string; queues an array or object to be walked. */
function valueFault(value: unknown, field: () => string, pending: Pending): FieldFault | undefined {
  if (typeof value === 'string') {
    const fault = textFault(value);
    return fault ? { field: field(), fault } : undefined;
  }
  if (value !== null && typeof value === 'object') pending.push([value, field()]);
  return undefined;
}

function tooLarge(limitBytes: number): WebAnswer {
  return { status: 413, body: { error: `Request body is larger than ${limitBytes} bytes` }, headers: { Connection: 'close' } };
}

/**
 * The request body's bytes, untouched (carrier signatures cover them), or the answer that
 * refuses it: 413 when it is larger than `limitBytes` (before reading, when Content-Length says
 * so), 415 when it is compressed.
 */
export async function readRequestBody(req: IncomingMessage, limitBytes: number): Promise<Buffer | WebAnswer> {
  const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    return { status: 415, body: { error: `Content-Encoding ${encoding} is not supported` } };
  }
  if (Number(req.headers['content-length'] || 0) > limitBytes) return tooLarge(limitBytes);
  const result = await readBody(req, limitBytes);
  return result.kind === 'too-large' ? tooLarge(limitBytes) : result.bytes;
}

/** readRequestBody() for a Koa route: a refusal is answered on `ctx` and undefined returned. */
export async function readRawBody(ctx: Context, limitBytes: number): Promise<Buffer | undefined> {
  const body = await readRequestBody(ctx.req, limitBytes);
  if (Buffer.isBuffer(body)) return body;
  applyAnswer(ctx, body);
  return undefined;
}

/**
 * Parses a JSON body into `ctx.request.body` for POST, PUT, PATCH and DELETE, whatever the
 * Content-Type says (upstream's clients do not always send one). Malformed JSON is a 400
 * `{"error":"Invalid JSON body: ..."}`, an oversized body a 413, both before any handler runs.
 */
export function jsonBody(options: JsonBodyOptions): Middleware {
  const { limitBytes } = options;
  return async (ctx: Context, next: Next) => {
    if (!METHODS_WITH_BODY.has(ctx.method)) return next();
    const bytes = await readRawBody(ctx, limitBytes);
    if (bytes === undefined) return;
    ctx.request.body = parseJson(bytes);
    return next();
  };
}
