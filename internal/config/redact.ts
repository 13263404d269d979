import type { Config } from './types.js';

/** Variables whose values never appear in messages or logs. */
export const SECRET_VARS: ReadonlySet<string> = new Set(['ENCRYPTION_KEY', 'API_KEY', 'POSTGRES_PASSWORD']);
export const REDACTED = '<redacted>';
// scheme://userinfo@ — userinfo is "user:password" or, for NATS, a bare token.
const URL_USERINFO = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^@/\s,]*)@/g;
const MAX_SHOWN_CHARS = 120;

/** Hides passwords (and bare tokens) inside URLs; keeps user names, which help debugging. */
export function redactUrlCredentials(s: string): string {
  return s.replace(URL_USERINFO, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon < 0 ? `${scheme}${REDACTED}@` : `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
  });
}

/** How a variable's value is shown in an error: quoted, shortened, secrets hidden. */
export function showValue(name: string, raw: string | undefined): string {
  if (raw === undefined) return '(unset)';
  if (SECRET_VARS.has(name)) return REDACTED;
  const safe = redactUrlCredentials(raw);
  const short = safe.length > MAX_SHOWN_CHARS ? `${safe.slice(0, MAX_SHOWN_CHARS)}…` : safe;
  return JSON.stringify(short);
}

/** One problem line: `NAME="value": expected …`. */
export function problem(name: string, raw: string | undefined, expected: string): string {
  return `${name}=${showValue(name, raw)}: ${expected}`;
}

/**
 * A copy of `config` that is safe to log at start-up: secrets replaced, URL passwords hidden.
 */
export function redactConfig(config: Config): Config {
  const store = config.store.driver === 'pg' ? { ...config.store, url: redactUrlCredentials(config.store.url) } : config.store;
  const bus = config.bus.kind === 'nats' ? { ...config.bus, servers: config.bus.servers.map(redactUrlCredentials) } : config.bus;
  const quota = config.quota.kind === 'redis' ? { ...config.quota, url: redactUrlCredentials(config.quota.url) } : config.quota;
  return {
    ...config,
    store,
    bus,
    quota,
    secrets: { ...config.secrets, encryptionKey: REDACTED, apiKey: REDACTED },
  };
}
