/**
 * SMPP 3.4 §4.1.1 (bind_transmitter and the others): system_id is a C-Octet String of at most
 * 16 octets and password of at most 9, both counting the closing NUL. gomsggw accepted longer
 * credentials for legacy clients and so does the admin API (its own README's example password,
 * `smpp_pass`, is 9 characters), but an ESME that keeps to the limits, such as Kannel, sends
 * them cut short and its bind fails: the answer warns instead of refusing.
 */
import type { Logger } from '../log/index.js';

/** Longest system_id, in octets without the NUL. */
export const SMPP_MAX_SYSTEM_ID_OCTETS = 15;
/** Longest password, in octets without the NUL. */
export const SMPP_MAX_PASSWORD_OCTETS = 8;

/** A legacy client's SMPP credentials; an absent field is not checked. */
export interface SmppCredentials {
  username?: string;
  password?: string;
}

const octets = (text: string) => Buffer.byteLength(text, 'utf8');

/** One line per credential over its SMPP limit, naming the field and the limit; [] when none is. */
export function smppCredentialWarnings(credentials: SmppCredentials): string[] {
  const warnings: string[] = [];
  const { username, password } = credentials;
  if (username !== undefined && octets(username) > SMPP_MAX_SYSTEM_ID_OCTETS) {
    warnings.push(
      `username: ${octets(username)} octets is longer than the ${SMPP_MAX_SYSTEM_ID_OCTETS} SMPP 3.4 ` +
        `allows in a bind's system_id (${SMPP_MAX_SYSTEM_ID_OCTETS + 1} with the NUL); ESMEs that keep to the limit, ` +
        'such as Kannel, cut it short and cannot bind',
    );
  }
  if (password !== undefined && octets(password) > SMPP_MAX_PASSWORD_OCTETS) {
    warnings.push(
      `password: ${octets(password)} octets is longer than the ${SMPP_MAX_PASSWORD_OCTETS} SMPP 3.4 ` +
        `allows in a bind (${SMPP_MAX_PASSWORD_OCTETS + 1} with the NUL); ESMEs that keep to the limit, ` +
        'such as Kannel, cut it short and cannot bind',
    );
  }
  return warnings;
}

/**
 * `body` with a `warnings` array when there is something to warn about (absent otherwise, so
 * gomsggw's shape is unchanged), each warning logged once at warn level.
 */
export function withSmppWarnings<T extends object>(
  body: T,
  clientId: number,
  credentials: SmppCredentials,
  logger: Logger,
): T | (T & { warnings: string[] }) {
  const warnings = smppCredentialWarnings(credentials);
  if (warnings.length === 0) return body;
  logger.warn({ client_id: clientId, warnings }, 'legacy client credentials exceed the SMPP 3.4 limits');
  return { ...body, warnings };
}
