import { describe, expect, it, vi } from 'vitest';
import { AuthError, ForbiddenError } from '../../errors/index.js';
import type { ClientDetails, TenantApiKey } from '../../store/index.js';
import { sha256Hex } from '../../crypto/index.js';
import { MemoryLoginLimiter } from '../../lockout/index.js';
import { silentLogger } from '../../log/index.js';
import { captureLogger } from '../../../test/support/log-capture.js';
import type { Context } from 'koa';
import {
  API_KEY_TOUCH_INTERVAL_MS,
  assertKeyMaySendFrom,
  clientAuth,
  keyScopes,
  parseClientCredentials,
  usableApiKey,
} from './client-auth.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseClientCredentials', () => {
  it('reads Basic and Bearer base64(user:pass), any scheme case', () => {
    expect(parseClientCredentials(`Basic ${b64('bicom:api_key')}`)).toEqual({
      kind: 'password',
      method: 'basic',
      username: 'bicom',
      password: 'api_key',
    });
    expect(parseClientCredentials(`bearer ${b64('bicom:a:b')}`)).toEqual({
      kind: 'password',
      method: 'bearer',
      username: 'bicom',
      password: 'a:b',
    });
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

  it("says whether a key is unknown, revoked or expired, under upstream's error text", () => {
    expect(refusal(undefined)).toEqual({ error: 'Invalid or expired API key', reason: 'unknown_api_key', message: 'No such API key' });
    expect(refusal(key({ active: false }))).toEqual({
      error: 'Invalid or expired API key',
      reason: 'api_key_revoked',
      message: 'This API key has been revoked',
    });
    expect(refusal(key({ expiresAt: now }))).toEqual({
      error: 'Invalid or expired API key',
      reason: 'api_key_expired',
      message: 'This API key expired at 2025-06-01T00:00:00.000Z',
    });
  });
});

describe('assertKeyMaySendFrom', () => {
  const auth = (numbers: string[]) => ({
    client: {} as ClientDetails,
    method: 'api_key' as const,
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
    expect(() => assertKeyMaySendFrom(auth(['+12505551234']), '+12505550000')).toThrow(
      'API key is not authorized to send from this number',
    );
  });
});

describe('clientAuth with an API key', () => {
  it('records last_used_at on first use, then at most once per interval, without a write per request', async () => {
    const raw = `gw_live_${'a'.repeat(64)}`;
    const key = {
      id: 5,
      clientId: 1,
      keyHash: sha256Hex(raw),
      active: true,
      expiresAt: null,
      scopes: 'send',
      allowedNumbers: [],
    } as unknown as TenantApiKey;
    const client = { id: 1, type: 'web', settings: null, numbers: [] } as unknown as ClientDetails;
    const touches: Array<[number, Date]> = [];
    const middleware = clientAuth({
      directory: { apiKeyByHash: (hash: string) => (hash === key.keyHash ? key : undefined), client: () => client } as never,
      store: { apiKeys: { touch: async (id: number, at: Date) => void touches.push([id, at]) } } as never,
      logger: silentLogger(),
    });
    const request = () => middleware(fakeContext(`Bearer ${raw}`), async () => undefined);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_000_000);
      for (let i = 0; i < 50; i++) await request();
      expect(touches).toHaveLength(1);
      vi.setSystemTime(1_000_000 + API_KEY_TOUCH_INTERVAL_MS);
      await request();
      expect(touches.map(([id, at]) => [id, at.getTime()])).toEqual([
        [5, 1_000_000],
        [5, 1_000_000 + API_KEY_TOUCH_INTERVAL_MS],
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('clientAuth with a password', () => {
  /**
   * A middleware over mutable clients, with a failed-login limiter of 3 per IP when `limited`;
   * `call(header, ip)` answers 'ok', or the error's status and text.
   */
  function setup(limited = false, logger = silentLogger()) {
    const clients = new Map<string, ClientDetails>();
    const add = (c: Partial<ClientDetails>) =>
      clients.set(c.username!, { type: 'web', settings: null, numbers: [], address: '', ...c } as ClientDetails);
    add({ id: 1, username: 'web1', password: 'right' });
    const logins = limited
      ? { limiter: new MemoryLoginLimiter({ limits: { windowMs: 60_000, perIp: 3, perNetwork: 0, perUser: 0 } }), failureDelayMs: 0 }
      : undefined;
    const middleware = clientAuth({
      directory: { clientByUsername: (u: string) => clients.get(u) } as never,
      store: {} as never,
      logger,
      logins,
    });
    const call = (header: string, ip = '127.0.0.1') =>
      middleware(fakeContext(header, ip), async () => undefined).then(
        () => 'ok',
        (err: Error) => err.message,
      );
    const set = (next: ClientDetails | undefined) => (next ? clients.set('web1', next) : clients.delete('web1'));
    return { call, set, current: () => clients.get('web1') };
  }
  const basicOf = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

  it('lets a verified header in again, and a wrong password never', async () => {
    const { call } = setup();
    expect(await call(basicOf('web1', 'right'))).toBe('ok');
    expect(await call(basicOf('web1', 'right'))).toBe('ok');
    expect(await call(basicOf('web1', 'wrong'))).toBe('Invalid credentials');
    expect(await call(basicOf('web1', 'wrong'))).toBe('Invalid credentials');
  });

  it('logs AuthSuccess once per verified header and AuthFailedInvalidCredentials for each failure, never the password', async () => {
    const log = captureLogger();
    const { call } = setup(false, log.logger);
    await call(basicOf('web1', 'right'), '192.0.2.10');
    await call(basicOf('web1', 'right'), '192.0.2.10');
    await call(basicOf('web1', 'wrong-secret'), '192.0.2.10');
    expect(log.lines.map((l) => l.event)).toEqual(['AuthSuccess', 'AuthFailedInvalidCredentials']);
    expect(log.lines[0]).toMatchObject({ level: 30, client: 'web1', ip: '192.0.2.10', method: 'basic' });
    expect(log.lines[1]).toMatchObject({ level: 30, client: 'web1', ip: '192.0.2.10' });
    expect(JSON.stringify(log.lines)).not.toMatch(/right|wrong-secret/);
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

  it("answers a legacy client's right password from outside its address list as a wrong one", async () => {
    const middleware = clientAuth({
      directory: {
        clientByUsername: (u: string) =>
          u === 'pbx' ? { id: 2, username: 'pbx', password: 'pbx-pw', type: 'legacy', address: '10.0.0.0/8', settings: null } : undefined,
      } as never,
      store: {} as never,
      logger: silentLogger(),
    });
    const answer = async (header: string, ip: string) => {
      const c = fakeContext(header, ip);
      await middleware(c, async () => undefined).catch((err: Error) => ((c as unknown as { body: unknown }).body = err.message));
      return c as unknown as { status: number; body: unknown };
    };
    expect((await answer(basicOf('pbx', 'pbx-pw'), '192.0.2.1')).body).toBe('Invalid credentials');
    expect((await answer(basicOf('pbx', 'wrong'), '192.0.2.1')).body).toBe('Invalid credentials');
    expect(await answer(basicOf('pbx', 'pbx-pw'), '10.1.1.1')).toMatchObject({
      status: 403,
      body: { status: 'error', message: 'Legacy clients must use SMPP protocol, not REST API' },
    });
  });

  it('refuses a source after too many failed logins with 429, before looking at the password', async () => {
    const { call } = setup(true);
    for (let i = 0; i < 3; i++) expect(await call(basicOf('web1', `guess${i}`), '198.51.100.1')).toBe('Invalid credentials');
    expect(await call(basicOf('web1', 'right'), '198.51.100.1')).toBe('Too many failed logins; try again later');
    expect(await call(basicOf('nobody', 'x'), '198.51.100.1')).toBe('Too many failed logins; try again later');
    expect(await call(basicOf('web1', 'right'), '198.51.100.2')).toBe('ok');
  });

  it('does not let a header verified from one IP past the limiter from another', async () => {
    const { call } = setup(true);
    expect(await call(basicOf('web1', 'right'), '203.0.113.5')).toBe('ok');
    for (let i = 0; i < 3; i++) await call(basicOf('web1', `guess${i}`), '198.51.100.1');
    expect(await call(basicOf('web1', 'right'), '198.51.100.1')).toBe('Too many failed logins; try again later');
    expect(await call(basicOf('web1', 'right'), '203.0.113.5')).toBe('ok');
  });
});

/** The parts of a Koa context the auth middleware reads. */
function fakeContext(header: string, ip = '127.0.0.1'): Context {
  return {
    get: (name: string) => (name === 'Authorization' ? header : ''),
    state: {},
    set: () => undefined,
    req: { socket: { remoteAddress: ip } },
  } as unknown as Context;
}
