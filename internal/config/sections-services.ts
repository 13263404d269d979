import { isIPv6 } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_BUS_MAX_DELIVER,
  DEFAULT_DATA_DIR,
  DEFAULT_DEAD_LETTER_MAX_AGE_HOURS,
  DEFAULT_DEAD_LETTER_MAX_MB,
  DEFAULT_POSTGRES_HOST,
  DEFAULT_POSTGRES_PORT,
  DEFAULT_POSTGRES_SSLMODE,
  DEFAULT_POSTGRES_TIMEZONE,
  DEFAULT_STREAM_MAX_AGE_HOURS,
  PGLITE_DIR_NAME,
} from './defaults.js';
import { field, fieldOr, Invalid, isHostname, oneOf, parseTimeZone, text, urlListWith, urlWith, wholeNumber } from './fields.js';
import type { LoadContext } from './sections-node.js';
import type { BusConfig, DurableConfig, QuotaConfig, StoreConfig } from './types.js';

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
/** Variables that, set explicitly, mean "use this PostgreSQL server" (upstream's defaults need none). */
const PG_SELECTORS = ['POSTGRES_HOST', 'POSTGRES_USER', 'POSTGRES_DB'] as const;
const PG_ALL = [...PG_SELECTORS, 'POSTGRES_PORT', 'POSTGRES_PASSWORD', 'POSTGRES_SSLMODE'] as const;
/** Any of these set means a shared service, so this node may be one of several (cluster mode). */
const SHARED_SERVICE_VARS = ['DATABASE_URL', ...PG_SELECTORS, 'NATS_URL', 'REDIS_URL'] as const;

/**
 * True when the environment names PostgreSQL, NATS or Redis: the same rule the store, bus and
 * quota sections use to pick their driver, read from the raw environment so that missing secrets
 * are reported together with any other problem.
 */
export function usesSharedServices(env: Readonly<Record<string, string>>): boolean {
  return SHARED_SERVICE_VARS.some((name) => env[name] !== undefined);
}

function parsePgHost(raw: string): string | Invalid {
  const s = raw.trim();
  const bare = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  // libpq also takes a socket directory as the host.
  if (isIPv6(bare) || isHostname(bare) || bare.startsWith('/')) return bare;
  return new Invalid('expected a host name, IP address or socket directory');
}

function parsePort(raw: string): number | Invalid {
  const n = wholeNumber(1)(raw);
  return n instanceof Invalid || n > 65535 ? new Invalid('expected a port number 1-65535') : n;
}

interface PgParts {
  host: string;
  port: number;
  user?: string;
  password?: string;
  db?: string;
  sslmode: string;
}

/** postgres:// URL from POSTGRES_*, every part percent-encoded (passwords often hold @ or /). */
export function buildPostgresUrl(p: PgParts): string {
  const user = p.user ? encodeURIComponent(p.user) : '';
  const auth = user ? `${user}${p.password ? `:${encodeURIComponent(p.password)}` : ''}@` : '';
  const db = p.db ? encodeURIComponent(p.db) : '';
  const query = new URLSearchParams({ sslmode: p.sslmode });
  // A socket directory cannot sit in the authority; pg-connection-string reads it from ?host=.
  if (p.host.startsWith('/')) {
    query.set('host', p.host);
    return `postgres://${auth}/${db}?${query}`;
  }
  const host = isIPv6(p.host) ? `[${p.host}]` : p.host;
  return `postgres://${auth}${host}:${p.port}/${db}?${query}`;
}

export function storeSchema(ctx: LoadContext) {
  return z
    .object({
      DATABASE_URL: field(urlWith(['postgres:', 'postgresql:'])),
      POSTGRES_HOST: field(parsePgHost),
      POSTGRES_PORT: fieldOr(parsePort, DEFAULT_POSTGRES_PORT),
      POSTGRES_USER: field(text),
      POSTGRES_PASSWORD: field(text),
      POSTGRES_DB: field(text),
      POSTGRES_SSLMODE: fieldOr(oneOf(SSL_MODES), DEFAULT_POSTGRES_SSLMODE),
      POSTGRES_TIMEZONE: fieldOr(parseTimeZone, DEFAULT_POSTGRES_TIMEZONE),
      DATA_DIR: fieldOr(text, DEFAULT_DATA_DIR),
      PGLITE_SHARED_BUFFERS_MB: field(wholeNumber(1)),
    })
    .transform((e): StoreConfig => {
      if (e.DATABASE_URL) return { driver: 'pg', url: e.DATABASE_URL, timezone: e.POSTGRES_TIMEZONE };
      if (e.POSTGRES_HOST === undefined && e.POSTGRES_USER === undefined && e.POSTGRES_DB === undefined) {
        const dataDir = join(resolve(ctx.cwd, e.DATA_DIR), PGLITE_DIR_NAME);
        // Unset leaves the store's own default, sized for a small idle node.
        return e.PGLITE_SHARED_BUFFERS_MB === undefined
          ? { driver: 'pglite', dataDir }
          : { driver: 'pglite', dataDir, sharedBuffersMb: e.PGLITE_SHARED_BUFFERS_MB };
      }
      const url = buildPostgresUrl({
        host: e.POSTGRES_HOST ?? DEFAULT_POSTGRES_HOST,
        port: e.POSTGRES_PORT,
        user: e.POSTGRES_USER,
        password: e.POSTGRES_PASSWORD,
        db: e.POSTGRES_DB,
        sslmode: e.POSTGRES_SSLMODE,
      });
      return { driver: 'pg', url, timezone: e.POSTGRES_TIMEZONE };
    });
}

/** Settings that are valid but will not do what the operator probably meant. */
export function storeWarnings(env: Readonly<Record<string, string>>): string[] {
  const set = (names: readonly string[]) => names.filter((n) => env[n] !== undefined);
  const postgres = env.DATABASE_URL !== undefined || set(PG_SELECTORS).length > 0;
  const pgliteOnly =
    postgres && env.PGLITE_SHARED_BUFFERS_MB !== undefined
      ? ['PGLITE_SHARED_BUFFERS_MB is set but the store is PostgreSQL, so it is ignored']
      : [];
  if (env.DATABASE_URL !== undefined && set(PG_ALL).length > 0) {
    return [`DATABASE_URL is set, so ${set(PG_ALL).join(', ')} ${set(PG_ALL).length > 1 ? 'are' : 'is'} ignored`, ...pgliteOnly];
  }
  const strays = set(['POSTGRES_PORT', 'POSTGRES_PASSWORD', 'POSTGRES_SSLMODE']);
  if (!postgres && strays.length > 0) {
    return [`${strays.join(', ')} set but none of DATABASE_URL, ${PG_SELECTORS.join(', ')}: using embedded PGlite`];
  }
  return pgliteOnly;
}

function parseSubjectPrefix(raw: string): string | Invalid {
  // One subject token: '.' would add levels and '*'/'>' are wildcards (NATS subject rules).
  return /^[A-Za-z0-9_-]+$/.test(raw) ? raw : new Invalid('expected letters, digits, "_" or "-" only');
}

export function busSchema() {
  return z
    .object({
      NATS_URL: field(urlListWith(['nats:', 'tls:'])),
      BUS_SUBJECT_PREFIX: fieldOr(parseSubjectPrefix, ''),
    })
    .transform((e): BusConfig =>
      e.NATS_URL
        ? { kind: 'nats', servers: e.NATS_URL, subjectPrefix: e.BUS_SUBJECT_PREFIX }
        : { kind: 'memory', subjectPrefix: e.BUS_SUBJECT_PREFIX },
    );
}

const HOUR_MS = 3600_000;

/** Redelivery bounds, stream ages and the dead-letter stream's limits. */
export function durableSchema() {
  return z
    .object({
      BUS_MAX_DELIVER: fieldOr(wholeNumber(2), DEFAULT_BUS_MAX_DELIVER),
      STREAM_MAX_AGE_HOURS: fieldOr(wholeNumber(1), DEFAULT_STREAM_MAX_AGE_HOURS),
      DEAD_LETTER_MAX_AGE_HOURS: fieldOr(wholeNumber(1), DEFAULT_DEAD_LETTER_MAX_AGE_HOURS),
      DEAD_LETTER_MAX_MB: fieldOr(wholeNumber(1), DEFAULT_DEAD_LETTER_MAX_MB),
    })
    .transform((e): DurableConfig => ({
      maxDeliver: e.BUS_MAX_DELIVER,
      stageMaxAgeMs: e.STREAM_MAX_AGE_HOURS * HOUR_MS,
      deadLetterMaxAgeMs: e.DEAD_LETTER_MAX_AGE_HOURS * HOUR_MS,
      deadLetterMaxBytes: e.DEAD_LETTER_MAX_MB * 1024 * 1024,
    }));
}

export function quotaSchema() {
  return z
    .object({ REDIS_URL: field(urlWith(['redis:', 'rediss:'])) })
    .transform((e): QuotaConfig => (e.REDIS_URL ? { kind: 'redis', url: e.REDIS_URL } : { kind: 'memory' }));
}
