import type { Context, Middleware, Next } from 'koa';
import { constantTimeEqual } from '../../crypto/index.js';
import { AuthError } from '../../errors/index.js';
import { trustedProxies } from '../../peer/index.js';
import { clientIp } from '../client-ip.js';
import type { WebDeps } from '../types.js';
import { LoginGuard } from './login-guard.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The password of an admin `Authorization` header, or an AuthError carrying upstream's text
 * (§4.1, Appendix B): the scheme must be exactly `Basic `, the username is ignored.
 */
export function adminPassword(header: string | undefined): string {
  if (!header) throw new AuthError('Authorization header missing');
  if (!header.startsWith('Basic ')) throw new AuthError('Invalid Authorization header format');
  const encoded = header.slice('Basic '.length).trim();
  if (!BASE64.test(encoded)) throw new AuthError('Failed to decode credentials');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new AuthError('Invalid credentials format');
  return decoded.slice(colon + 1);
}

/**
 * Admin Basic auth: any username, the password must equal the admin key. Compared in constant
 * time (upstream used `==`, BUG-11). Failures are 401 JSON with `WWW-Authenticate` (set by the
 * error middleware for every AuthError). A wrong key counts as a failed login of the caller's
 * IP (no username: the key has none, and a per-username lock would only let anyone lock the
 * operator out); a source over its limit gets 429 with Retry-After before the key is compared.
 * A malformed header is not a guess and is not counted.
 */
export function adminAuth(apiKey: string, deps: Pick<WebDeps, 'logins' | 'trustedProxies'> = {}): Middleware {
  if (apiKey.length === 0) throw new RangeError('adminAuth needs a non-empty admin API key');
  const guard = new LoginGuard(deps.logins);
  const trusted = trustedProxies(deps.trustedProxies ?? []);
  return async (ctx: Context, next: Next) => {
    const password = adminPassword(ctx.get('Authorization') || undefined);
    const ip = clientIp(
      { peer: ctx.req.socket.remoteAddress, forwardedFor: ctx.get('X-Forwarded-For'), realIp: ctx.get('X-Real-IP') },
      trusted,
    );
    await guard.attempt({ ip }, () => {
      if (!constantTimeEqual(password, apiKey)) throw new AuthError('Invalid API key');
    });
    await next();
  };
}
