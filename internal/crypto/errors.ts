import { ErrorCode, GatewayError } from '../errors/index.js';
import { SecretErrorReason } from './types.js';

const MESSAGES: Record<SecretErrorReason, string> = {
  [SecretErrorReason.WRONG_KEY]:
    'cannot decrypt a stored secret: ENCRYPTION_KEY does not match the key the data was encrypted with (or the value was altered)',
  [SecretErrorReason.MALFORMED]: 'cannot decrypt a stored secret: the stored value is malformed',
};

/**
 * A stored secret cannot be read. Code INTERNAL (never shown to callers): it means the
 * operator's ENCRYPTION_KEY or the database is wrong, not that the request was.
 */
export class SecretError extends GatewayError {
  override name = 'SecretError';
  readonly reason: SecretErrorReason;

  constructor(reason: SecretErrorReason, detail?: string, options?: ErrorOptions) {
    super(ErrorCode.INTERNAL, detail ? `${MESSAGES[reason]}: ${detail}` : MESSAGES[reason], options);
    this.reason = reason;
  }
}
