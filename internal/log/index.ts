/**
 * The log room: one pino logger per node (never a module-level singleton: cluster tests run
 * several nodes in one process). JSON lines on stdout for any collector (Loki, Vector, …).
 * Secrets are redacted by path, so a stray `password` or `authorization` field never lands in logs.
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export { LogEvent } from './events.js';

const REDACT_PATHS = [
  'password',
  '*.password',
  'new_password',
  '*.new_password',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'encryptionKey',
  '*.encryptionKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'webhookSecret',
  '*.webhookSecret',
  'webhook_secret',
  '*.webhook_secret',
  'key',
  '*.key',
];

export interface LoggerOptions {
  level: string;
  serverId: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { server_id: options.serverId },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** A logger that drops everything, for tests and tools that need the type. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
