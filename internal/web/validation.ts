import { z } from 'zod';
import { normalizeE164 } from '../../proto/e164.js';
import { ValidationError } from '../errors/index.js';
import { hasControlCharacter } from '../text/index.js';

/** Explains a zod failure field by field, e.g. `max_rps: Too small: expected number to be >=0`. */
export function describeZodError(err: z.ZodError): string {
  return err.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** Ids and counters are PostgreSQL `integer` columns: anything larger cannot exist. */
export const INT32_MAX = 2_147_483_647;

/** A whole number from 0 to INT32_MAX (limits, retries, rates). */
export const count = z.number().int().min(0).max(INT32_MAX);

/** A row id from the body (a positive whole number). */
export const rowId = z.number().int().min(1).max(INT32_MAX);

export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol, hostname } = new URL(value);
  return (protocol === 'http:' || protocol === 'https:') && hostname !== '';
}

/** A name the gateway matches or sends on (a username, a carrier name): no control character. */
export const identifier = z
  .string()
  .trim()
  .refine((value) => !hasControlCharacter(value), { message: 'must not contain control characters' });

/** An http(s) URL, or '' for "none". */
export const urlOrEmpty = z
  .string()
  .trim()
  .refine((value) => value === '' || isHttpUrl(value), { message: 'must be an http:// or https:// URL, or empty' });

/** The runtime's spelling of IANA time zone `zone` (`america/vancouver` → `America/Vancouver`), or null. */
export function canonicalZone(zone: string): string | null {
  if (zone === '') return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** True when the runtime knows `zone` as an IANA time zone (e.g. America/Vancouver). */
export function isIanaZone(zone: string): boolean {
  return canonicalZone(zone) !== null;
}

/** A path id: 1..INT32_MAX written in plain digits, nothing else. */
export const pathId = z
  .string()
  .regex(/^\d{1,10}$/)
  .meta({ description: `a whole number from 1 to ${INT32_MAX}`, example: '1' })
  .transform(Number)
  .pipe(z.number().int().min(1).max(INT32_MAX));

/** The path parameters `names`, each a pathId (for the API document). */
export function pathIds<K extends string>(...names: K[]): z.ZodObject<{ [P in K]: typeof pathId }> {
  return z.object(Object.fromEntries(names.map((name) => [name, pathId])) as { [P in K]: typeof pathId });
}

/** A numeric path id (pathId), or a 400 with `message` (upstream: "Invalid client ID" and friends). */
export function parseId(raw: string | undefined, message: string): number {
  const result = pathId.safeParse(raw);
  if (!result.success) throw new ValidationError(message);
  return result.data;
}

/**
 * A query parameter given at most once: `?tag=a&tag=b` is a 400 with `message` rather than a
 * guess. Koa gives a repeated parameter as an array.
 */
export function onceInQuery<S extends z.ZodType<unknown, string>>(schema: S, message: string) {
  return z.preprocess((value, ctx) => {
    if (!Array.isArray(value)) return value;
    ctx.addIssue({ code: 'custom', message, input: value });
    return z.NEVER;
  }, schema.optional());
}

/** A query parameter whose first value counts when it is repeated (`schema` sees string | undefined). */
export function firstInQuery<S extends z.ZodType<unknown, string | undefined>>(schema: S) {
  return z.preprocess((value) => (Array.isArray(value) ? value[0] : value), schema);
}

/**
 * A query parameter read by `read` from its trimmed first value ('' when absent); a
 * ValidationError `read` throws becomes the schema's issue, its message kept.
 */
export function queryParam<T>(read: (raw: string) => T) {
  return firstInQuery(
    z
      .string()
      .optional()
      .transform((raw, ctx) => {
        try {
          return read(raw?.trim() ?? '');
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          ctx.addIssue({ code: 'custom', message: err.message, input: raw });
          return z.NEVER;
        }
      }),
  );
}

/**
 * Validates a query (Koa's ctx.query) against `schema`. The schemas' messages name their
 * parameter, so a failure is a 400 with those messages as they are.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query);
  if (!result.success) throw new ValidationError(result.error.issues.map((issue) => issue.message).join('; '));
  return result.data;
}

/**
 * Validates a request body against `schema` before anything is written. A missing body counts
 * as `{}`, so required-field checks give their own message; a non-object body is a 400.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const value = body === undefined ? {} : body;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('Request body must be a JSON object');
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(describeZodError(result.error));
  return result.data;
}

/** Canonical E.164 of `input`, or a 400 naming the value. */
export function toE164(input: string): string {
  const e164 = normalizeE164(input);
  if (e164 === null) {
    throw new ValidationError(`Invalid number "${input}": use E.164, e.g. +12505551234`);
  }
  return e164;
}

/** Drops the keys whose value is undefined, so a patch only names what the caller sent. */
export function definedOnly<T extends Record<string, unknown>>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}
