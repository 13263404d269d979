import { ConflictError, NotFoundError, UnavailableError } from '../errors/index.js';

/** SQLSTATE codes we translate (PostgreSQL Appendix A); PGlite raises the same codes. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const CONNECTION_CLASS = '08';
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

export interface DbErrorMessages {
  /** Said when a unique value already exists. */
  conflict?: string;
  /** Said when a referenced row does not exist. */
  missingParent?: string;
}

/**
 * Turns a driver error into the gateway's error classes so callers never see SQLSTATEs;
 * anything unrecognised is rethrown unchanged (the front door's catch-all logs it).
 */
export function translateDbError(err: unknown, messages: DbErrorMessages = {}): never {
  const code = (err as { code?: unknown })?.code;
  if (code === UNIQUE_VIOLATION && messages.conflict) throw new ConflictError(messages.conflict, { cause: err });
  if (code === FOREIGN_KEY_VIOLATION && messages.missingParent) {
    throw new NotFoundError(messages.missingParent, { cause: err });
  }
  if (typeof code === 'string' && (code.startsWith(CONNECTION_CLASS) || NETWORK_CODES.has(code))) {
    throw new UnavailableError('the database is unavailable', { cause: err });
  }
  throw err;
}

/** Runs `work`, translating driver errors with `messages`. */
export async function guard<T>(work: () => Promise<T>, messages?: DbErrorMessages): Promise<T> {
  try {
    return await work();
  } catch (err) {
    translateDbError(err, messages);
  }
}
