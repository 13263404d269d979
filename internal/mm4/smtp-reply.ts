/**
 * The MM4 entry point's one catch-all (style.md "Errors"): an error becomes an SMTP reply code and
 * text through proto/errors.ts's table. Unknown errors become `451 Internal server error`
 * (gomsggw's text, upstream Appendix B) and never show their own message.
 */
import { GatewayError, wireStatus, type ErrorCode } from '../errors/index.js';

export interface SmtpReply {
  code: number;
  message: string;
}

/** 552: RFC 5321 §4.5.3.1.10, "message size exceeds fixed maximum message size". */
export const SMTP_TOO_LARGE = wireStatus.PAYLOAD_TOO_LARGE.smtp;

export const INTERNAL_REPLY: SmtpReply = { code: 451, message: 'Internal server error' };

/**
 * Bus and store failures name internal subjects, buckets and hosts in their messages: the peer
 * gets a fixed text that says only whether to try again.
 */
const TRANSIENT_TEXT: Partial<Record<ErrorCode, string>> = {
  UNAVAILABLE: 'Service temporarily unavailable, try again later',
  OUTCOME_UNKNOWN: 'Service temporarily unavailable, try again later',
};

export function toSmtpReply(err: unknown): SmtpReply {
  if (!(err instanceof GatewayError)) return INTERNAL_REPLY;
  const status = wireStatus[err.code as ErrorCode];
  if (!status || !err.expose) return INTERNAL_REPLY;
  return { code: status.smtp, message: TRANSIENT_TEXT[err.code as ErrorCode] ?? err.message };
}

/** An Error smtp-server turns into the reply `<responseCode> <message>`. */
export function smtpError(reply: SmtpReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.message.replace(/[\r\n]+/g, ' ')), { responseCode: reply.code });
}
