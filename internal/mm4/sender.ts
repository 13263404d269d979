/**
 * One SMTP delivery of a raw MM4 mail with nodemailer: a fresh connection per mail (MMS volume is
 * low and legacy peers drop idle connections), plain SMTP with opportunistic STARTTLS, bounded
 * by a per-mail deadline and the caller's AbortSignal.
 */
import { createTransport } from 'nodemailer';
import { UnavailableError } from '../errors/index.js';

export interface SmtpTarget {
  host: string;
  port: number;
}

export interface RawMail {
  /** Envelope MAIL FROM and RCPT TO (see envelopeAddress). */
  from: string;
  to: string;
  raw: string;
}

export interface SendOptions {
  /** The whole delivery, connect to the final reply (MM4_TIMEOUT_SECS). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** EHLO name. */
  name: string;
}

/** gomsggw's connect timeout (§9.4): a dead host is known within seconds. */
const CONNECT_TIMEOUT_MS = 10_000;

/** What a delivery that failed tells its caller: permanent (5xx) or worth a retry. */
export class SmtpSendError extends UnavailableError {
  override name = 'SmtpSendError';
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A function that delivers one raw mail; tests and the egress share this shape. */
export type SendRaw = (target: SmtpTarget, mail: RawMail, options: SendOptions) => Promise<void>;

export const sendRaw: SendRaw = async (target, mail, options) => {
  const transport = createTransport({
    host: target.host,
    port: target.port,
    secure: false,
    name: options.name,
    connectionTimeout: Math.min(CONNECT_TIMEOUT_MS, options.timeoutMs),
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    // STARTTLS when a peer offers it is only opportunistic: PBXs present self-signed certificates,
    // and gomsggw spoke plain SMTP to them, so an unverifiable one must not stop delivery.
    tls: { rejectUnauthorized: false },
  });
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const onAbort = () => transport.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await transport.sendMail({ envelope: { from: mail.from, to: [mail.to] }, raw: mail.raw });
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    const reason = signal.aborted ? `no answer within ${options.timeoutMs} ms` : (err as Error).message;
    throw new SmtpSendError(`MM4 to ${target.host}:${target.port}: ${reason}`, typeof code === 'number' && code >= 500 && !signal.aborted, {
      cause: err,
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    transport.close();
  }
};
