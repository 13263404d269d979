import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import Koa, { type Context } from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuthError, ConflictError, GatewayError, UnavailableError } from '../../errors/index.js';
import { MemoryLoginLimiter } from '../../lockout/index.js';
import { createLogger, silentLogger } from '../../log/index.js';
import { adminAuth, adminPassword } from './admin-auth.js';
import { errorAnswer, errorMiddleware } from './errors.js';
import { parseJson } from './json-body.js';
import { methodLabel } from './metrics.js';

/** A logger whose lines are kept for assertions. */
function capturingLogger() {
  const lines: any[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', serverId: 'test', destination }) };
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Serves an app whose only handler throws `error`, and returns the response. */
async function answerFor(error: unknown, logger = capturingLogger().logger) {
  const app = new Koa();
  app.use(errorMiddleware(logger));
  app.use(() => {
    throw error;
  });
  const handle = app.callback();
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/x`);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('errorMiddleware', () => {
  it('answers a GatewayError with the status of its code and its message', async () => {
    expect(await answerFor(new ConflictError('number +1 already exists'))).toMatchObject({
      status: 409,
      body: { error: 'number +1 already exists' },
    });
    expect((await answerFor(new UnavailableError('the database is unavailable'))).status).toBe(503);
  });

  it('adds the Basic challenge to auth failures', async () => {
    const res = await answerFor(new AuthError('Invalid API key'));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="Restricted"');
  });

  it('answers a stray ZodError with 400 naming the field', async () => {
    const err = z.object({ age: z.number() }).safeParse({ age: 'x' }).error;
    const res = await answerFor(err);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^age: /);
  });

  it('hides unknown errors behind 500 "internal error" and logs them once with their cause', async () => {
    const { lines, logger } = capturingLogger();
    const err = new Error('password=hunter2 leaked', { cause: new Error('socket closed') });
    const res = await answerFor(err, logger);
    expect(res).toMatchObject({ status: 500, body: { error: 'internal error' } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0])).toContain('socket closed');
  });

  it('does not expose the text of an internal GatewayError, nor crash on a thrown non-error', async () => {
    const res = await answerFor(new GatewayError('INTERNAL', 'secret detail'));
    expect(res).toMatchObject({ status: 500, body: { error: 'internal error' } });
    expect(await answerFor(undefined)).toMatchObject({ status: 500, body: { error: 'internal error' } });
  });
});

describe('adminPassword', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('returns the password and ignores the username', () => {
    expect(adminPassword(`Basic ${b64('admin:k:with:colons')}`)).toBe('k:with:colons');
    expect(adminPassword(`Basic ${b64(':k')}`)).toBe('k');
  });

  it.each([
    [undefined, 'Authorization header missing'],
    ['Bearer x', 'Invalid Authorization header format'],
    ['basic eDp5', 'Invalid Authorization header format'],
    ['Basic %%%', 'Failed to decode credentials'],
    ['Basic eDp', 'Failed to decode credentials'],
    [`Basic ${b64('nocolon')}`, 'Invalid credentials format'],
  ])('refuses %j with "%s"', (header, message) => {
    expect(() => adminPassword(header)).toThrow(new AuthError(message));
  });
});

describe('adminAuth', () => {
  const KEY = 'admin-key-0123456789';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const logins = () => ({
    limiter: new MemoryLoginLimiter({ limits: { windowMs: 60_000, perIp: 3, perNetwork: 0, perUser: 0 } }),
    failureDelayMs: 0,
  });
  /** The answer to one admin request from `ip`: 'ok' or the error answer. */
  const call = async (middleware: ReturnType<typeof adminAuth>, header: string | undefined, ip: string) => {
    const ctx = { get: () => header ?? '', req: { socket: { remoteAddress: ip } } } as unknown as Context;
    try {
      await middleware(ctx, async () => undefined);
      return 'ok';
    } catch (err) {
      return errorAnswer(err, silentLogger(), { method: 'GET', path: '/clients' });
    }
  };

  it('refuses a source that sent too many wrong keys with 429 and Retry-After, even with the right key', async () => {
    const middleware = adminAuth(KEY, { logins: logins() });
    for (let i = 0; i < 3; i++)
      expect(await call(middleware, `Basic ${b64(`admin:guess${i}`)}`, '198.51.100.1')).toMatchObject({ status: 401 });
    const locked = await call(middleware, `Basic ${b64(`admin:${KEY}`)}`, '198.51.100.1');
    expect(locked).toMatchObject({ status: 429, body: { error: 'Too many failed logins; try again later' } });
    expect(Number((locked as { headers: Record<string, string> }).headers['Retry-After'])).toBeGreaterThan(0);
    expect(await call(middleware, `Basic ${b64(`admin:${KEY}`)}`, '198.51.100.2')).toBe('ok');
  });

  it('does not count a missing or malformed header as a guess', async () => {
    const middleware = adminAuth(KEY, { logins: logins() });
    for (let i = 0; i < 5; i++)
      expect(await call(middleware, i % 2 ? undefined : 'Bearer x', '198.51.100.1')).toMatchObject({ status: 401 });
    expect(await call(middleware, `Basic ${b64(`admin:${KEY}`)}`, '198.51.100.1')).toBe('ok');
  });
});

describe('parseJson', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('parses JSON and treats an empty body as absent', () => {
    expect(parseJson(bytes('{"a":1}'))).toEqual({ a: 1 });
    expect(parseJson(bytes('  \n'))).toBeUndefined();
  });

  it('says what is wrong with a malformed body', () => {
    expect(() => parseJson(bytes('{"a":'))).toThrow(/^Invalid JSON body: /);
    expect(() => parseJson(new Uint8Array([0xff]))).toThrow('Invalid JSON body: the body is not valid UTF-8');
  });

  it('refuses NUL characters, which PostgreSQL text cannot store', () => {
    expect(() => parseJson(bytes('{"name":"a\\u0000b"}'))).toThrow(/^Invalid JSON body: .*NUL/);
    expect(() => parseJson(bytes('{"a\\u0000":1}'))).toThrow(/NUL/);
    expect(() => parseJson(bytes('{"deep":[{"x":"\\u0000"}]}'))).toThrow(/NUL/);
    // The text \u0000 written as an escaped backslash is no NUL.
    expect(parseJson(bytes('{"t":"\\\\u0000"}'))).toEqual({ t: '\\u0000' });
    expect(parseJson(bytes('{"t":"plain"}'))).toEqual({ t: 'plain' });
  });

  it('names the field that holds a NUL or an unpaired surrogate', () => {
    expect(() => parseJson(bytes('{"from":"+1","text":"a\\u0000b"}'))).toThrow(
      "Invalid JSON body: 'text' must not contain the NUL character (U+0000)",
    );
    expect(() => parseJson(bytes('{"text":"\\ud800"}'))).toThrow(
      /^Invalid JSON body: 'text' must not contain an unpaired UTF-16 surrogate/,
    );
    expect(() => parseJson(bytes('{"text":"ok \\uDE00 x"}'))).toThrow(/'text' .*surrogate/);
    expect(() => parseJson(bytes('{"media":[{"url":"x"},{"url":"\\u0000"}]}'))).toThrow(/'media\[1\]\.url' must not/);
    expect(() => parseJson(bytes('{"data":{"payload":{"te\\u0000xt":1}}}'))).toThrow(/'data\.payload\.text' must not/);
    expect(() => parseJson(bytes('"\\ud83d"'))).toThrow(/'body' must not/);
  });

  it('takes surrogate pairs, escaped or not, and controls other than NUL', () => {
    expect(parseJson(bytes('{"text":"\\ud83d\\ude00 😀 \\u0001"}'))).toEqual({ text: '😀 😀 \u0001' });
  });

  it('walks deep nesting without running out of stack', () => {
    const depth = 200_000;
    expect(() => parseJson(bytes(`${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`))).toThrow(/NUL/);
  });
});

describe('methodLabel', () => {
  it('keeps the methods the API answers and calls every other one "other"', () => {
    expect(['GET', 'POST', 'DELETE'].map(methodLabel)).toEqual(['GET', 'POST', 'DELETE']);
    expect(['PROPFIND', 'M-SEARCH', 'get'].map(methodLabel)).toEqual(['other', 'other', 'other']);
  });
});
