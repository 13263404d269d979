import { describe, expect, it, vi } from 'vitest';
import { AuthError, ForbiddenError } from '../../errors/index.js';
import type { ClientDetails, TenantApiKey } from '../../store/index.js';
import { sha256Hex } from '../../crypto/index.js';
import { silentLogger } from '../../log/index.js';
import type { Context } from 'koa';
import {
  API_KEY_TOUCH_INTERVAL_MS, assertKeyMaySendFrom, clientAuth, keyScopes, parseClientCredentials, usableApiKey,
} from './client-auth.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseClientCredentials', () => {
  it('reads Basic and Bearer base64(user:pass), any scheme case', () => {
    expect(parseClientCredentials(`Basic ${b64('bicom:api_key')}`)).toEqual({ kind: 'password', method: 'basic', username: 'bicom', password: 'api_key' });
    expect(parseClientCredentials(`bearer ${b64('bicom:a:b')}`)).toEqual({ kind: 'password', method: 'bearer', username: 'bicom', password: 'a:b' });
    expect(parseClientCredentials(`Bearer ${b64('u:p').replace(/=+$/, '')}`)).toMatchObject({ username: 'u', password: 'p' });
  });

  it('reads a gw_live_ bearer token as an API key', () => {
    expect(parseClientCredentials('Bearer gw_live_abc')).toEqual({ kind: 'api_key', token: 'gw_live_abc' });
  });

  it('gives nothing for missing, malformed or colon-less credentials', () => {
    for (const header of ['', 'Basic', 'Basic !!!', `Basic ${b64('nocolon')}`, 'Bearer', 'Token abc', `Bearer ${b64('nocolon')}`]) {
      expect(parseClientCredentials(header), header).toBeUndefined();
    }
  });
});

describe('keyScopes', () => {
  it('splits on commas and trims', () => {
    expect(keyScopes({ scopes: ' send , Usage,,' } as TenantApiKey)).toEqual(['send', 'usage']);
  });
});

describe('usableApiKey', () => {
  const now = new Date('2025-06-01T00:00:00Z');
  const key = (over: Partial<TenantApiKey>) => ({ active: true, expiresAt: null, ...over }) as TenantApiKey;
  const refusal = (k: TenantApiKey | undefined) => {
    try {
      usableApiKey(k, now);
    } catch (err) {
      expect(err).toBeInstanceOf(AuthError);
      return { error: (err as AuthError).message, ...(err as AuthError).details };
    }
    return undefined;
  };

  it('passes an active key that never expires or expires later (upstream §18.2)', () => {
    expect(refusal(key({}))).toBeUndefined();
    expect(refusal(key({ expiresAt: new Date(now.getTime() + 1) }))).toBeUndefined();
  });

  it('says whether a key is unknown, revoked or expired, under upstream\'s error text', () => {
    expect(refusal(undefined)).toEqual({ error: 'Invalid or expired API key', reason: 'unknown_api_key', message: 'No such API key' });
    expect(refusal(key({ active: false }))).toEqual({
      error: 'Invalid or expired API key', reason: 'api_key_revoked', message: 'This API key has been revoked' });
    expect(refusal(key({ expiresAt: now }))).toEqual({
      error: 'Invalid or expired API key', reason: 'api_key_expired', message: 'This API key expired at 2025-06-01T00:00:00.000Z' });
  });
});

describe('assertKeyMaySendFrom', () => {
  const auth = (numbers: string[]) => ({
    client: {} as ClientDetails, method: 'api_key' as const,
    apiKey: { allowedNumbers: numbers.map((number, i) => ({ id: i, apiKeyId: 1, numberId: i, number })) } as TenantApiKey,
  });

  it('lets a key without allowed numbers, and password auth, send from any number', () => {
    expect(() => assertKeyMaySendFrom(auth([]), '+12505551234')).not.toThrow();
    expect(() => assertKeyMaySendFrom({ client: {} as ClientDetails, method: 'basic' }, '+12505551234')).not.toThrow();
  });

  it('lets a restricted key send only from its numbers, however they were stored', () => {
    expect(() => assertKeyMaySendFrom(auth(['12505551234']), '+12505551234')).not.toThrow();
    expect(() => assertKeyMaySendFrom(auth(['+12505551234']), '+12505551234')).not.toThrow();
    expect(() => assertKeyMaySendFrom(auth(['+12505551234']), '+12505550000')).toThrow(ForbiddenError);
    expect(() => assertKeyMaySendFrom(auth(['+12505551234']), '+12505550000'))
      .toThrow('API key is not authorized to send from this number');
  });
});

describe('clientAuth with an API key', () => {
  it('records last_used_at on first use, then at most once per interval, without a write per request', async () => {
    const raw = `gw_live_${'a'.repeat(64)}`;
    const key = { id: 5, clientId: 1, keyHash: sha256Hex(raw), active: true, expiresAt: null, scopes: 'send', allowedNumbers: [] } as unknown as TenantApiKey;
    const client = { id: 1, type: 'web', settings: null, numbers: [] } as unknown as ClientDetails;
    const touches: Array<[number, Date]> = [];
    const middleware = clientAuth({
      directory: { apiKeyByHash: (hash: string) => (hash === key.keyHash ? key : undefined), client: () => client } as never,
      store: { apiKeys: { touch: async (id: number, at: Date) => void touches.push([id, at]) } } as never,
      logger: silentLogger(),
    });
    const request = () => middleware({ get: () => `Bearer ${raw}`, state: {}, set: () => undefined } as unknown as Context, async () => undefined);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_000_000);
      for (let i = 0; i < 50; i++) await request();
      expect(touches).toHaveLength(1);
      vi.setSystemTime(1_000_000 + API_KEY_TOUCH_INTERVAL_MS);
      await request();
      expect(touches.map(([id, at]) => [id, at.getTime()])).toEqual([[5, 1_000_000], [5, 1_000_000 + API_KEY_TOUCH_INTERVAL_MS]]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('clientAuth with a password', () => {
  /** A middleware over one mutable client; `call(header)` answers 'ok', or the AuthError's text. */
  function setup() {
    let client: ClientDetails | undefined = { id: 1, username: 'web1', password: 'right', type: 'web', settings: null, numbers: [] } as unknown as ClientDetails;
    const middleware = clientAuth({
      directory: { clientByUsername: (u: string) => (client && u === client.username ? client : undefined) } as never,
      store: {} as never, logger: silentLogger(),
    });
    const call = (header: string) => middleware({ get: () => header, state: {}, set: () => undefined } as unknown as Context, async () => undefined)
      .then(() => 'ok', (err: Error) => err.message);
    const set = (next: ClientDetails | undefined) => (client = next);
    return { call, set, current: () => client };
  }
  const basicOf = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

  it('lets a verified header in again, and a wrong password never', async () => {
    const { call } = setup();
    expect(await call(basicOf('web1', 'right'))).toBe('ok');
    expect(await call(basicOf('web1', 'right'))).toBe('ok');
    expect(await call(basicOf('web1', 'wrong'))).toBe('Invalid credentials');
    expect(await call(basicOf('web1', 'wrong'))).toBe('Invalid credentials');
  });

  it('refuses a header it verified once the password changed or the client is gone', async () => {
    const { call, set, current } = setup();
    expect(await call(basicOf('web1', 'right'))).toBe('ok');
    set({ ...current()!, password: 'new' } as ClientDetails);
    expect(await call(basicOf('web1', 'right'))).toBe('Invalid credentials');
    expect(await call(basicOf('web1', 'new'))).toBe('ok');
    set(undefined);
    expect(await call(basicOf('web1', 'new'))).toBe('Invalid credentials');
  });
});
