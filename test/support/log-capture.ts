/** Real pino output captured in memory, for tests that assert what a room logs (event names, levels, no secrets). */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../internal/log/index.js';

/** One JSON line as pino wrote it. */
export interface LogLine {
  level: number;
  msg: string;
  event?: string;
  [field: string]: unknown;
}

/** pino's numeric levels, for asserting a line's level. */
export const LogLevel = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * A real node logger (redaction included) whose lines are kept for a test to read: `lines` in
 * order, `event(name)` the first line carrying that `event` field.
 */
export function captureLogger(level = 'debug'): { logger: Logger; lines: LogLine[]; event(name: string): LogLine | undefined } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as LogLine);
      done();
    },
  });
  const logger = createLogger({ level, serverId: 't', destination });
  return { logger, lines, event: (name) => lines.find((l) => l.event === name) };
}
