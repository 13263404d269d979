/**
 * The `event` field of a log line: gomsggw's event names (upstream §16.1), spelled as gomsggw
 * spells them, so operators' existing greps, Loki queries and alerts keep matching. A line
 * carries one beside pino's `level` and `msg`: `logger.info({ event: LogEvent.AuthSuccess, … }, 'SMPP bound')`.
 * docs/operations.md lists when msggw logs each and at which level.
 */
export const LogEvent = {
  /** A login worked: SMPP bind, REST client (Basic or API key), MM4 peer address. */
  AuthSuccess: 'AuthSuccess',
  /** A login failed for a wrong username or password (SMPP bind, REST client). */
  AuthFailedInvalidCredentials: 'AuthFailedInvalidCredentials',
  /** A login refused for another reason: MM4 peer address unknown, SMPP bind locked out or over its cap. */
  AuthFailed: 'AuthFailed',
  /** A web client (no SMPP type) tried to bind over SMPP. */
  WebClientCannotUseSMPP: 'WebClientCannotUseSMPP',
  /** A bind replaced the client's existing session. */
  ClosingExistingSessionForUser: 'ClosingExistingSessionForUser',
  /** An SMPP session ended (unbind, close, timeout). */
  SessionRemoved: 'SessionRemoved',
  /** A submit_sm was received and stored. */
  InboundSubmitSM: 'InboundSubmitSM',
  /** A submit_sm whose text decoded to nothing. */
  EmptyDecodedMessage: 'EmptyDecodedMessage',
  /** A client's rule dropped an inbound STOP instead of passing it on. */
  DroppingSTOPMessagePerClientRule: 'DroppingSTOPMessagePerClientRule',
  /** A deliver_sm got no deliver_sm_resp in time. */
  AckTimeout: 'AckTimeout',
  /** A deliver_sm_resp carried an error command_status. */
  AckNonOK: 'AckNonOK',
  /** A message for an offline SMPP client went to its failover client. */
  FailoverActivated: 'FailoverActivated',
  /** The failover client was offline too; the message waits for its client. */
  FallbackClientOffline: 'FallbackClientOffline',
  /** A quota refused a message. */
  MessageLimitExceeded: 'Message limit exceeded',
  /** A message's sender is not a number the client owns (or not a number). */
  InvalidSenderNumber: 'Invalid sender number',
  /** A message's destination is not a valid number. */
  InvalidDestinationNumber: 'Invalid destination number',
  /** A client's webhook answered an error or nothing. */
  WebhookResponseError: 'WebhookResponseError',
  /** A carrier accepted a message. */
  SmsSent: 'Successfully sent SMS',
  /** A carrier refused a message because its recipient opted out (STOP). */
  BlockedByStop: 'Blocked due to STOP message',
  /** Preparing an MMS's media failed (will retry, or the message failed). */
  TranscodeError: 'TranscodeError',
  /** An MMS's media was fetched and fitted. */
  TranscodeSuccess: 'TranscodeSuccess',
  /** An MM4 client accepted an MMS. */
  MM4SendSuccess: 'MM4SendSuccess',
  /** A media file was served by its token. */
  MediaAccessed: 'Media file accessed',
  /** A carrier webhook named a carrier UUID the gateway does not know. */
  UnknownCarrierUuid: 'Unknown carrier UUID',
  /** A carrier webhook arrived (before its signature and body are checked). */
  InboundAttempt: 'InboundAttempt',
  /** An auto-reply was sent. */
  AutoReplySent: 'AutoReplySent',
  /** A batch job finished (every item sent or failed). */
  BatchCompleted: 'Batch job completed',
} as const;

export type LogEvent = (typeof LogEvent)[keyof typeof LogEvent];
