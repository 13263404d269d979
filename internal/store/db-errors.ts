import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors/index.js';

/** SQLSTATE codes we translate (PostgreSQL Appendix A); PGlite raises the same codes. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const CONNECTION_CLASS = '08';
/** Class 22, data exception (22P05 untranslatable character, 22021 bad byte sequence, ...): the same values fail every time. */
const DATA_EXCEPTION_CLASS = '22';
/** Class 57, operator intervention (57P01 admin_shutdown when the server stops under a connection). */
const OPERATOR_INTERVENTION_CLASS = '57';
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

export interface DbErrorMessages {
  /** Said when a unique value already exists. */
  conflict?: string;
  /** Said when a referenced row does not exist. */
  missingParent?: string;
}

/**
 * Turns a driver error into the gateway's error classes so callers never see SQLSTATEs;
 * anything unrecognised is rethrown unchanged (the entry point's catch-all logs it). A data
 * exception becomes a ValidationError (permanent: see isPermanentDataError); a lost or refused
 * connection an UnavailableError (worth retrying).
 */
export function translateDbError(err: unknown, messages: DbErrorMessages = {}): never {
  const code = (err as { code?: unknown })?.code;
  if (code === UNIQUE_VIOLATION && messages.conflict) throw new ConflictError(messages.conflict, { cause: err });
  if (code === FOREIGN_KEY_VIOLATION && messages.missingParent) {
    throw new NotFoundError(messages.missingParent, { cause: err });
  }
  if (typeof code === 'string' && code.startsWith(DATA_EXCEPTION_CLASS)) {
    throw new ValidationError('the database refused a value', { cause: err });
  }
  if (
    typeof code === 'string' &&
    (code.startsWith(CONNECTION_CLASS) || code.startsWith(OPERATOR_INTERVENTION_CLASS) || NETWORK_CODES.has(code))
  ) {
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

/**
 * True when the database refused the values themselves (SQLSTATE class 22, translated to a
 * ValidationError by guard()): writing the same values again fails again, unlike an outage.
 */
export function isPermanentDataError(err: unknown): boolean {
  return err instanceof ValidationError;
}
