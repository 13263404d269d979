import type { Context, Middleware, Next } from 'koa';
import { normalizeE164 } from '../../../proto/e164.js';
import { constantTimeEqual, sha256Hex } from '../../crypto/index.js';
import { AuthError, ForbiddenError } from '../../errors/index.js';
import { LogEvent } from '../../log/index.js';
import { parseAllowList, trustedProxies } from '../../peer/index.js';
import { AuthMethod, ClientType, type ClientDetails, type TenantApiKey } from '../../store/index.js';
import { applyAnswer, type WebAnswer } from '../answer.js';
import { clientIp } from '../client-ip.js';
import type { WebDeps } from '../types.js';
import { LoginGuard } from './login-guard.js';

/** Raw tenant API keys start with this (upstream §4.3). */
const API_KEY_PREFIX = 'gw_live_';
/** Standard or URL-safe base64, padding optional (clients differ on both). */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** last_used_at is written at most this often per key and node: a write per request is waste. */
export const API_KEY_TOUCH_INTERVAL_MS = 60_000;
/** Compared against when the username is unknown, so both failures take the same time. */
const NO_PASSWORD = '\u0000no-such-client\u0000';

export type ClientAuthMethod = 'basic' | 'bearer' | 'api_key';
export type ApiKeyScope = 'send' | 'usage' | 'batch';

/** Who called a /messages route, and how (upstream §4.2 step 7). */
export interface ClientAuth {
  client: ClientDetails;
  method: ClientAuthMethod;
  /** Set when the caller used a `gw_live_` key: its scopes and numbers then apply. */
  apiKey?: TenantApiKey;
}

export type ClientCredentials =
  { kind: 'password'; method: 'basic' | 'bearer'; username: string; password: string } | { kind: 'api_key'; token: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `user:pass` from base64, or undefined when it is not that. */
function decodeUserPass(encoded: string): { username: string; password: string } | undefined {
  const compact = encoded.trim();
  if (!BASE64.test(compact)) return undefined;
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(compact, 'base64'));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Reads an Authorization header in upstream's order (§4.2): Basic base64(user:pass); else
 * Bearer `gw_live_…` (an API key); else Bearer base64(user:pass). Undefined when none fits.
 */
export function parseClientCredentials(header: string): ClientCredentials | undefined {
  const basic = /^basic\s+(\S+)\s*$/i.exec(header);
  if (basic) {
    const pair = decodeUserPass(basic[1] as string);
    if (pair) return { kind: 'password', method: 'basic', ...pair };
  }
  const bearer = /^bearer\s+(\S+)\s*$/i.exec(header);
  if (!bearer) return undefined;
  const token = bearer[1] as string;
  if (token.startsWith(API_KEY_PREFIX)) return { kind: 'api_key', token };
  const pair = decodeUserPass(token);
  return pair ? { kind: 'password', method: 'bearer', ...pair } : undefined;
}

const STATE_KEY = 'clientAuth';

/** Upstream's text for every unusable key (§4.2, Appendix B): clients may match on it, so it stays. */
const INVALID_KEY = 'Invalid or expired API key';

/**
 * The key, or a 401 saying why it cannot be used. Every refusal keeps upstream's `error` text
 * and adds `reason` and `message`, so a caller can tell an unknown, a revoked and an expired key
 * apart (the key's holder learns nothing it did not have).
 */
export function usableApiKey(key: TenantApiKey | undefined, now: Date): TenantApiKey {
  const refuse = (reason: string, message: string) => new AuthError(INVALID_KEY, { details: { reason, message } });
  if (!key) throw refuse('unknown_api_key', 'No such API key');
  if (!key.active) throw refuse('api_key_revoked', 'This API key has been revoked');
  if (key.expiresAt !== null && key.expiresAt <= now) {
    throw refuse('api_key_expired', `This API key expired at ${key.expiresAt.toISOString()}`);
  }
  return key;
}

/** The caller of a route behind clientAuth(); throws if the middleware did not run. */
export function clientAuthOf(ctx: Context): ClientAuth {
  const auth = (ctx.state as Record<string, unknown>)[STATE_KEY] as ClientAuth | undefined;
  if (!auth) throw new Error('clientAuthOf() called on a route without clientAuth()');
  return auth;
}

/** Upstream's `{"status":"error","message":...}` for the type and auth-style gates (§4.2 steps 5–6). */
function refusal(status: number, message: string, headers?: Record<string, string>): WebAnswer {
  return { status, body: { status: 'error', message }, headers };
}

type AuthDeps = Pick<WebDeps, 'directory' | 'store' | 'logger' | 'apiKeyRateLimit' | 'logins'>;

/** (IP, Authorization header) pairs remembered as verified; past this the memory starts over. */
const VERIFIED_MAX = 10_000;

/** A password header that passed: for whom, and against which password it was checked. */
interface Verified {
  username: string;
  password: string;
  method: 'basic' | 'bearer';
}

export class ClientAuthenticator {
  /** Key id → when this node last wrote its last_used_at. Bounded by the number of keys. */
  readonly #touched = new Map<number, number>();
  /**
   * Password headers that passed, by the caller's IP and the header: a client sends the same one
   * with every request, and decoding it and hashing both passwords each time showed in profiles. A hit
   * still needs the client's current password to be the one it was checked against, so a changed
   * password or a removed client takes effect at once. Failures are never remembered: a wrong
   * password always takes the constant-time comparison. Keyed by IP too, so a header that passed
   * from one source is not a way round the failed-login limiter from another.
   */
  readonly #verified = new Map<string, Verified>();
  readonly #guard: LoginGuard;

  constructor(private readonly deps: AuthDeps) {
    this.#guard = new LoginGuard(deps.logins);
  }

  /** `ip` is the caller's (clientIp()): failed password logins are counted against it. */
  async authenticate(header: string, now: Date, ip: string): Promise<ClientAuth> {
    const cacheKey = `${ip} ${header}`;
    const known = this.#verified.get(cacheKey);
    if (known) {
      const client = this.deps.directory.clientByUsername(known.username);
      if (client && client.password === known.password) return { client, method: known.method };
      this.#verified.delete(cacheKey);
    }
    const credentials = parseClientCredentials(header);
    if (!credentials) throw new AuthError('Authentication required');
    if (credentials.kind === 'api_key') return this.byApiKey(credentials.token, now);
    const { username, password, method } = credentials;
    const client = await this.#guard.attempt({ ip, username }, () => this.checkPassword(username, password, ip));
    // Once per IP and header: later requests with it are taken from #verified without a line.
    this.deps.logger.info({ event: LogEvent.AuthSuccess, client: username, ip, method }, 'REST client authenticated');
    if (this.#verified.size >= VERIFIED_MAX) this.#verified.clear();
    this.#verified.set(cacheKey, { username, password: client.password, method });
    return { client, method };
  }

  /**
   * The client whose password this is, or AuthError('Invalid credentials'), the same for an
   * unknown username (the comparison is made all the same), a wrong password, and a legacy
   * client's right password from outside its address list: there, the 403 "use SMPP" would say
   * the password was right where SMPP would not.
   */
  private async checkPassword(username: string, password: string, ip: string): Promise<ClientDetails> {
    const client = this.deps.directory.clientByUsername(username);
    const matches = constantTimeEqual(password, client?.password ?? NO_PASSWORD);
    const allowed = client && matches && (client.type === ClientType.WEB || (await parseAllowList(client.address).allows(ip)));
    if (!allowed) {
      this.deps.logger.info({ event: LogEvent.AuthFailedInvalidCredentials, client: username, ip }, 'REST client login failed');
      throw new AuthError('Invalid credentials');
    }
    return client;
  }

  private async byApiKey(token: string, now: Date): Promise<ClientAuth> {
    const key = usableApiKey(this.deps.directory.apiKeyByHash(sha256Hex(token)), now);
    const client = this.deps.directory.client(key.clientId);
    if (!client) throw new AuthError("API key's associated client not found");
    await this.deps.apiKeyRateLimit?.(key);
    this.deps.logger.debug(
      { event: LogEvent.AuthSuccess, client: client.username, keyId: key.id, method: 'api_key' },
      'REST client authenticated',
    );
    this.touch(key.id, now);
    return { client, method: 'api_key', apiKey: key };
  }

  /** Records the key's use in the background; a failure is logged, never the caller's problem. */
  private touch(keyId: number, now: Date): void {
    const last = this.#touched.get(keyId) ?? 0;
    if (now.getTime() - last < API_KEY_TOUCH_INTERVAL_MS) return;
    this.#touched.set(keyId, now.getTime());
    this.deps.store.apiKeys.touch(keyId, now).catch((err: unknown) => {
      this.deps.logger.warn({ err, keyId }, 'could not record API key use');
    });
  }
}

/**
 * Client auth for /messages* (upstream §4.2): Basic or Bearer base64(user:pass) checked in
 * constant time, or a `gw_live_` API key. Failures are 401 JSON with upstream's texts and
 * `WWW-Authenticate` (AuthError, answered by the error handling), never saying whether a
 * username exists. A legacy client is refused (403); a client whose `auth_method` is set must
 * use that scheme (401); one with none may use Basic or Bearer (so the seed README's Bearer
 * example works). Resolves the caller, or the answer that refuses it.
 */
export async function admitClient(
  authenticator: ClientAuthenticator,
  header: string,
  ip: string,
): Promise<{ auth: ClientAuth } | { refused: WebAnswer }> {
  const auth = await authenticator.authenticate(header, new Date(), ip);
  const { client, method } = auth;
  if (client.type !== ClientType.WEB) {
    return { refused: refusal(403, 'Legacy clients must use SMPP protocol, not REST API') };
  }
  const expected = client.settings?.authMethod ?? null;
  if (method !== 'api_key' && expected !== null && expected !== method) {
    const challenge = `${expected === AuthMethod.BEARER ? 'Bearer' : 'Basic'} realm="Restricted"`;
    return { refused: refusal(401, `Client requires ${expected} authentication`, { 'WWW-Authenticate': challenge }) };
  }
  return { auth };
}

/** admitClient() as Koa middleware: the caller is then clientAuthOf(ctx). */
export function clientAuth(deps: AuthDeps & Pick<WebDeps, 'trustedProxies'>, authenticator = new ClientAuthenticator(deps)): Middleware {
  const trusted = trustedProxies(deps.trustedProxies ?? []);
  return async (ctx: Context, next: Next) => {
    const ip = clientIp(
      { peer: ctx.req.socket.remoteAddress, forwardedFor: ctx.get('X-Forwarded-For'), realIp: ctx.get('X-Real-IP') },
      trusted,
    );
    const admitted = await admitClient(authenticator, ctx.get('Authorization'), ip);
    if ('refused' in admitted) return applyAnswer(ctx, admitted.refused);
    (ctx.state as Record<string, unknown>)[STATE_KEY] = admitted.auth;
    await next();
  };
}

/** The scopes of a key: a comma list, whitespace trimmed (upstream §4.2). */
export function keyScopes(key: TenantApiKey): string[] {
  return key.scopes
    .split(',')
    .map((scope) => scope.trim().toLowerCase())
    .filter((scope) => scope !== '');
}

/** Refuses an API key without `scope` (403); password auth has every right. */
export function assertScope(auth: ClientAuth, scope: ApiKeyScope): void {
  if (auth.apiKey && !keyScopes(auth.apiKey).includes(scope)) {
    throw new ForbiddenError(`API key does not have '${scope}' scope`);
  }
}

/** assertScope() as Koa middleware, for a route behind clientAuth(). */
export function requireScope(scope: ApiKeyScope): Middleware {
  return async (ctx: Context, next: Next) => {
    assertScope(clientAuthOf(ctx), scope);
    await next();
  };
}

/**
 * An API key limited to some numbers may send only from those (upstream §4.3). `from` is
 * canonical E.164; stored numbers are compared in canonical form too.
 */
export function assertKeyMaySendFrom(auth: ClientAuth, from: string): void {
  const allowed = auth.apiKey?.allowedNumbers ?? [];
  if (allowed.length === 0) return;
  if (!allowed.some((entry) => normalizeE164(entry.number) === from)) {
    throw new ForbiddenError('API key is not authorized to send from this number');
  }
}
