import { ErrorCode } from '../../proto/errors.js';

export { ErrorCode, wireStatus, ESME } from '../../proto/errors.js';
export type { WireStatus } from '../../proto/errors.js';

export interface GatewayErrorOptions extends ErrorOptions {
  /** Whether the message may be shown to the caller (true for everything but internal faults). */
  expose?: boolean;
  /** Extra fields an entry point may add to its error body (e.g. the 429 usage figures). */
  details?: Record<string, unknown>;
}

/** Base of every error the gateway raises on purpose. Branch on `code` or `instanceof`, never on text. */
export class GatewayError extends Error {
  override name = 'GatewayError';
  readonly code: ErrorCode;
  readonly expose: boolean;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options);
    this.code = code;
    this.expose = options.expose ?? code !== ErrorCode.INTERNAL;
    this.details = options.details;
  }
}

export class ValidationError extends GatewayError {
  override name = 'ValidationError';
  constructor(message: string, options?: GatewayErrorOptions) {
    super(ErrorCode.VALIDATION, message, options);
  }
}

export class AuthError extends GatewayError {
  override name = 'AuthError';
  constructor(message: string, options?: GatewayErrorOptions) {
    super(ErrorCode.AUTH, message, options);
  }
}

export class ForbiddenError extends GatewayError {
  override name = 'ForbiddenError';
  constructor(message: string, options?: GatewayErrorOptions) {
    super(ErrorCode.FORBIDDEN, message, options);
  }
}

export class NotFoundError extends GatewayError {
  override name = 'NotFoundError';
  constructor(message: string, options?: GatewayErrorOptions) {
    super(ErrorCode.NOT_FOUND, message, options);
  }
}

export class ConflictError extends GatewayError {
  override name = 'ConflictError';
  constructor(message: string, options?: GatewayErrorOptions) {
    super(ErrorCode.CONFLICT, message, options);
  }
}

export class QuotaExceededError extends GatewayError {
  override name = 'QuotaExceededError';
  constructor(message: string, options?: GatewayErrorOptions) {
    super(ErrorCode.QUOTA_EXCEEDED, message, options);
  }
}

/** A body or media part larger than the gateway (or the carrier it goes to) accepts: 413 / 552. */
export class PayloadTooLargeError extends GatewayError {
  override name = 'PayloadTooLargeError';
  constructor(message: string, options?: GatewayErrorOptions) {
    super(ErrorCode.PAYLOAD_TOO_LARGE, message, options);
  }
}

/** The bus, the store or another dependency is down: the caller may retry later. */
export class UnavailableError extends GatewayError {
  override name = 'UnavailableError';
  constructor(message: string, options?: GatewayErrorOptions) {
    super(ErrorCode.UNAVAILABLE, message, options);
  }
}

/**
 * The message may or may not have been stored: it was written to the bus, then no answer came
 * (a PubAck timeout, the connection closed). Unlike UnavailableError ("nothing was stored"), its
 * quota units are kept and the caller is told to resend with the same id, which the bus's
 * dedup window then takes once.
 */
export class OutcomeUnknownError extends GatewayError {
  override name = 'OutcomeUnknownError';
  constructor(message: string, options?: GatewayErrorOptions) {
    super(ErrorCode.OUTCOME_UNKNOWN, message, options);
  }
}

export interface CarrierErrorOptions extends GatewayErrorOptions {
  /** True for network errors, timeouts, HTTP 408/429/5xx; false for a refusal that will never succeed. */
  retryable: boolean;
  /** The carrier's HTTP status, when it answered. */
  status?: number;
  /** The carrier's own error code (Twilio `code`, Telnyx `errors[0].code`), as a string. */
  carrierCode?: string;
  /** The recipient opted out (Twilio 21610, Telnyx "Blocked due to STOP message"): never retried. */
  optOut?: boolean;
}

export class CarrierError extends GatewayError {
  override name = 'CarrierError';
  readonly retryable: boolean;
  readonly status?: number;
  readonly carrierCode?: string;
  /** The router answers an opt-out with the STOP notice (upstream §7.7) instead of the generic one. */
  readonly optOut: boolean;
  constructor(message: string, options: CarrierErrorOptions) {
    super(ErrorCode.CARRIER, message, options);
    this.retryable = options.retryable;
    this.status = options.status;
    this.carrierCode = options.carrierCode;
    this.optOut = options.optOut ?? false;
  }
}
