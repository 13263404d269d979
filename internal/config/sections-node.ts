import { resolve } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_AUTO_REPLY_ENABLED,
  DEFAULT_BATCH_CONCURRENCY,
  DEFAULT_BATCH_LEASE_SECS,
  DEFAULT_BATCH_MAX_MESSAGES,
  DEFAULT_DATA_DIR,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MEDIA_CLEANUP_INTERVAL_SECS,
  DEFAULT_MEDIA_FETCH_TIMEOUT_SECS,
  DEFAULT_MEDIA_MAX_BYTES,
  DEFAULT_MEDIA_TTL_DAYS,
  DEFAULT_NOTIFY_SENDER_ON_FAILURE,
  DEFAULT_INGRESS_DEDUP_HOURS,
  DEFAULT_INGRESS_FIRST_AT,
  DEFAULT_INGRESS_FIRST_FLOOR,
  DEFAULT_TRANSCODE_CONCURRENCY,
  DEFAULT_TRANSCODE_TIMEOUT_SECS,
  DEFAULT_WEB_LISTEN,
  DEFAULT_SHUTDOWN_TIMEOUT_SECS,
} from './defaults.js';
import { shutdownBudget } from './shutdown.js';
import {
  field,
  fieldOr,
  Invalid,
  oneOf,
  parseBaseUrl,
  parseBool,
  parseCidrList,
  parseDefault,
  parseListen,
  text,
  wholeNumber,
} from './fields.js';
import {
  LogLevel,
  type AutoReplyConfig,
  type BatchConfig,
  type IngressFirstConfig,
  type LogConfig,
  type MediaConfig,
  type NodeConfig,
} from './types.js';

/** What the sections need besides the environment: where we run and on which machine. */
export interface LoadContext {
  cwd: string;
  hostname: string;
  tmpdir: string;
}

/** SERVER_ADDRESS when unset: this machine on the web port, good enough for a laptop. */
export function defaultServerAddress(webPort: number): string {
  return `http://localhost:${webPort}`;
}

/** The node's identity. Reads WEB_LISTEN only for SERVER_ADDRESS's default (web reports its errors). */
export function nodeSchema(ctx: LoadContext) {
  return z
    .object({
      SERVER_ID: fieldOr(text, ctx.hostname),
      SERVER_ADDRESS: field(parseBaseUrl),
      DATA_DIR: fieldOr(text, DEFAULT_DATA_DIR),
      WEB_LISTEN: fieldOr(parseListen, parseDefault(parseListen, DEFAULT_WEB_LISTEN)),
      SHUTDOWN_TIMEOUT_SECS: fieldOr(wholeNumber(1), DEFAULT_SHUTDOWN_TIMEOUT_SECS),
    })
    .transform((e): NodeConfig => ({
      serverId: e.SERVER_ID,
      serverAddress: e.SERVER_ADDRESS ?? defaultServerAddress(e.WEB_LISTEN.port),
      dataDir: resolve(ctx.cwd, e.DATA_DIR),
      shutdown: shutdownBudget(e.SHUTDOWN_TIMEOUT_SECS * 1000),
    }));
}

const LOG_LEVELS = Object.values(LogLevel);

export function logSchema() {
  return z
    .object({
      // Upstream accepted "warning" for warn (§1.1 step 2); pino does not, so it is mapped here.
      LOG_LEVEL: fieldOr(oneOf(LOG_LEVELS, { warning: LogLevel.WARN }), DEFAULT_LOG_LEVEL),
    })
    .transform((e): LogConfig => ({ level: e.LOG_LEVEL }));
}

const SECOND_MS = 1000;
const DAY_MS = 24 * 3600 * SECOND_MS;

/** `name=bytes,name=bytes`: carrier names or types (lowercased) → MMS size limit. */
export function parseCarrierLimits(raw: string): Record<string, number> | Invalid {
  const out: Record<string, number> = {};
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, value] = item.split('=').map((s) => s.trim());
    if (!name || !value || !/^\d+$/.test(value) || Number(value) < 1) {
      return new Invalid('expected name=bytes pairs separated by commas, e.g. telnyx=1048576,default=614400');
    }
    out[name.toLowerCase()] = Number(value);
  }
  return out;
}

export function mediaSchema(ctx: LoadContext) {
  return z
    .object({
      TRANSCODE_TEMP_PATH: fieldOr(text, ctx.tmpdir),
      MEDIA_TTL_DAYS: fieldOr(wholeNumber(1), DEFAULT_MEDIA_TTL_DAYS),
      MEDIA_MAX_BYTES: fieldOr(wholeNumber(1024), DEFAULT_MEDIA_MAX_BYTES),
      MEDIA_CLEANUP_INTERVAL_SECS: fieldOr(wholeNumber(1), DEFAULT_MEDIA_CLEANUP_INTERVAL_SECS),
      MEDIA_FETCH_TIMEOUT_SECS: fieldOr(wholeNumber(1), DEFAULT_MEDIA_FETCH_TIMEOUT_SECS),
      MEDIA_FETCH_ALLOW: fieldOr(parseCidrList, []),
      TRANSCODE_CONCURRENCY: fieldOr(wholeNumber(1), DEFAULT_TRANSCODE_CONCURRENCY),
      TRANSCODE_TIMEOUT_SECS: fieldOr(wholeNumber(1), DEFAULT_TRANSCODE_TIMEOUT_SECS),
      MEDIA_CARRIER_LIMITS: fieldOr(parseCarrierLimits, {}),
    })
    .transform((e): MediaConfig => ({
      transcodeTempPath: resolve(ctx.cwd, e.TRANSCODE_TEMP_PATH),
      ttlMs: e.MEDIA_TTL_DAYS * DAY_MS,
      maxMediaBytes: e.MEDIA_MAX_BYTES,
      cleanupIntervalMs: e.MEDIA_CLEANUP_INTERVAL_SECS * SECOND_MS,
      fetchTimeoutMs: e.MEDIA_FETCH_TIMEOUT_SECS * SECOND_MS,
      fetchAllow: [...e.MEDIA_FETCH_ALLOW],
      transcodeConcurrency: e.TRANSCODE_CONCURRENCY,
      transcodeTimeoutMs: e.TRANSCODE_TIMEOUT_SECS * SECOND_MS,
      carrierLimits: e.MEDIA_CARRIER_LIMITS,
    }));
}

export function autoReplySchema() {
  return z
    .object({
      AUTO_REPLY_ENABLED: fieldOr(parseBool, DEFAULT_AUTO_REPLY_ENABLED),
      AUTO_REPLY_DEFAULT_MESSAGE: fieldOr(text, ''),
    })
    .transform((e): AutoReplyConfig => ({ enabled: e.AUTO_REPLY_ENABLED, defaultMessage: e.AUTO_REPLY_DEFAULT_MESSAGE }));
}

/** INGRESS_DEDUP_HOURS in ms; 0 turns the ingress memory off (the bus's 2-minute window remains). */
export function ingressDedupSchema() {
  return z
    .object({ INGRESS_DEDUP_HOURS: fieldOr(wholeNumber(0), DEFAULT_INGRESS_DEDUP_HOURS) })
    .transform((e): number => e.INGRESS_DEDUP_HOURS * 3600_000);
}

/** INGRESS_FIRST_AT (0: sends never yield) and INGRESS_FIRST_FLOOR. */
export function ingressFirstSchema() {
  return z
    .object({
      INGRESS_FIRST_AT: fieldOr(wholeNumber(0), DEFAULT_INGRESS_FIRST_AT),
      INGRESS_FIRST_FLOOR: fieldOr(wholeNumber(1), DEFAULT_INGRESS_FIRST_FLOOR),
    })
    .transform((e): IngressFirstConfig => ({
      busyAt: e.INGRESS_FIRST_AT,
      idleAt: Math.floor(e.INGRESS_FIRST_AT / 4),
      floor: e.INGRESS_FIRST_FLOOR,
    }));
}

export function notifySchema() {
  return z
    .object({ NOTIFY_SENDER_ON_FAILURE: fieldOr(parseBool, DEFAULT_NOTIFY_SENDER_ON_FAILURE) })
    .transform((e): boolean => e.NOTIFY_SENDER_ON_FAILURE);
}

/** BATCH_MAX_MESSAGES, BATCH_LEASE_SECS, BATCH_CONCURRENCY (internal/batch). */
export function batchSchema() {
  return z
    .object({
      BATCH_MAX_MESSAGES: fieldOr(wholeNumber(1), DEFAULT_BATCH_MAX_MESSAGES),
      BATCH_LEASE_SECS: fieldOr(wholeNumber(1), DEFAULT_BATCH_LEASE_SECS),
      BATCH_CONCURRENCY: fieldOr(wholeNumber(1), DEFAULT_BATCH_CONCURRENCY),
    })
    .transform((e): BatchConfig => ({
      maxMessages: e.BATCH_MAX_MESSAGES,
      leaseMs: e.BATCH_LEASE_SECS * 1000,
      concurrency: e.BATCH_CONCURRENCY,
    }));
}
