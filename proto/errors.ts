/**
 * Stable error codes and how each entry point reports them. Codes also travel in status events,
 * so this table is part of the contract between nodes: add codes, never rename them.
 */
export const ErrorCode = {
  VALIDATION: 'VALIDATION',
  AUTH: 'AUTH',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  NO_ROUTE: 'NO_ROUTE',
  UNAVAILABLE: 'UNAVAILABLE',
  /**
   * The message was handed to the bus but no answer said whether it was stored (no PubAck in
   * time, the connection lost after the write). The caller may resend with the same message id
   * (or REST Idempotency-Key): a message stored by the first try is then taken once.
   */
  OUTCOME_UNKNOWN: 'OUTCOME_UNKNOWN',
  CARRIER: 'CARRIER',
  /** A media part or body larger than allowed (MEDIA_MAX_BYTES, a carrier's MMS limit). */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface WireStatus {
  /** SMPP command_status (SMPP 3.4 §5.1.3). */
  smpp: number;
  http: number;
  /** SMTP reply code (RFC 5321 §4.2). */
  smtp: number;
}

export const ESME = {
  ROK: 0x00,
  RINVMSGLEN: 0x01,
  RINVCMDLEN: 0x02,
  RINVCMDID: 0x03,
  RINVBNDSTS: 0x04,
  RALYBND: 0x05,
  RSYSERR: 0x08,
  RINVSRCADR: 0x0a,
  RINVDSTADR: 0x0b,
  RBINDFAIL: 0x0d,
  RINVPASWD: 0x0e,
  RINVSYSID: 0x0f,
  RTHROTTLED: 0x58,
} as const;

export const wireStatus: Record<ErrorCode, WireStatus> = {
  VALIDATION: { smpp: ESME.RSYSERR, http: 400, smtp: 554 },
  AUTH: { smpp: ESME.RINVPASWD, http: 401, smtp: 535 },
  FORBIDDEN: { smpp: ESME.RINVSRCADR, http: 403, smtp: 550 },
  NOT_FOUND: { smpp: ESME.RINVDSTADR, http: 404, smtp: 550 },
  CONFLICT: { smpp: ESME.RSYSERR, http: 409, smtp: 554 },
  QUOTA_EXCEEDED: { smpp: ESME.RTHROTTLED, http: 429, smtp: 452 },
  NO_ROUTE: { smpp: ESME.RINVDSTADR, http: 422, smtp: 550 },
  UNAVAILABLE: { smpp: ESME.RSYSERR, http: 503, smtp: 451 },
  // Transient everywhere: the caller tries again, and the message id makes that retry enter once.
  OUTCOME_UNKNOWN: { smpp: ESME.RSYSERR, http: 503, smtp: 451 },
  CARRIER: { smpp: ESME.RSYSERR, http: 502, smtp: 451 },
  // 552: "exceeded storage allocation" (RFC 5321 §4.2.3), what MTAs answer for an oversized message.
  PAYLOAD_TOO_LARGE: { smpp: ESME.RINVMSGLEN, http: 413, smtp: 552 },
  INTERNAL: { smpp: ESME.RSYSERR, http: 500, smtp: 451 },
};
