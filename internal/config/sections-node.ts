import { resolve } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_AUTO_REPLY_ENABLED,
  DEFAULT_DATA_DIR,
  DEFAULT_LOG_LEVEL,
  DEFAULT_NOTIFY_SENDER_ON_FAILURE,
  DEFAULT_WEB_LISTEN,
} from './defaults.js';
import { field, fieldOr, oneOf, parseBaseUrl, parseBool, parseDefault, parseListen, text } from './fields.js';
import { LogLevel, type AutoReplyConfig, type LogConfig, type MediaConfig, type NodeConfig } from './types.js';

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
    })
    .transform(
      (e): NodeConfig => ({
        serverId: e.SERVER_ID,
        serverAddress: e.SERVER_ADDRESS ?? defaultServerAddress(e.WEB_LISTEN.port),
        dataDir: resolve(ctx.cwd, e.DATA_DIR),
      }),
    );
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

export function mediaSchema(ctx: LoadContext) {
  return z
    .object({ TRANSCODE_TEMP_PATH: fieldOr(text, ctx.tmpdir) })
    .transform((e): MediaConfig => ({ transcodeTempPath: resolve(ctx.cwd, e.TRANSCODE_TEMP_PATH) }));
}

export function autoReplySchema() {
  return z
    .object({
      AUTO_REPLY_ENABLED: fieldOr(parseBool, DEFAULT_AUTO_REPLY_ENABLED),
      AUTO_REPLY_DEFAULT_MESSAGE: fieldOr(text, ''),
    })
    .transform((e): AutoReplyConfig => ({ enabled: e.AUTO_REPLY_ENABLED, defaultMessage: e.AUTO_REPLY_DEFAULT_MESSAGE }));
}

export function notifySchema() {
  return z
    .object({ NOTIFY_SENDER_ON_FAILURE: fieldOr(parseBool, DEFAULT_NOTIFY_SENDER_ON_FAILURE) })
    .transform((e): boolean => e.NOTIFY_SENDER_ON_FAILURE);
}
