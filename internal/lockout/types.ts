/**
 * The lockout room's contract: failed logins counted per source across the cluster, so a
 * password guesser is slowed down however many nodes the VIP spreads it over.
 */

/** One login attempt (an SMPP bind, a REST Basic/Bearer login, the admin key). */
export interface LoginAttempt {
  /** The caller's IP: the SMPP peer (or the one its PROXY header named), or the REST client IP. */
  ip: string;
  /**
   * The username tried, existing or not (SMPP system_id, REST Basic/Bearer user). Absent for
   * the admin key, which has no username.
   */
  username?: string;
}

/** Which count refused an attempt: the exact IP, its network (IPv4 /24, IPv6 /64) or the username. */
export type LockoutScope = 'ip' | 'network' | 'user';

export type LoginGate =
  | { allowed: true }
  | {
      allowed: false;
      scope: LockoutScope;
      /** Until the refusing count lapses, ms (REST Retry-After). */
      retryAfterMs: number;
    };

/**
 * Counts failed logins per IP, per network and per username, in fixed windows. An entry point asks
 * `admit` before it looks at the credentials, answers a refused attempt exactly as it answers
 * a wrong password (SMPP) or 429 (REST), and reports the outcome with `fail` or `succeed`.
 *
 * A source that logged in as a username (`succeed`) is a known source of that username for
 * KNOWN_SOURCE_TTL_MS: the network and username counts do not refuse it, so an attacker who
 * spends them cannot lock a client out of the addresses it logs in from. Its own IP count
 * still applies.
 */
export interface LoginLimiter {
  /** Whether the attempt may have its credentials checked. Refused attempts are not counted. */
  admit(attempt: LoginAttempt): Promise<LoginGate>;
  /** Counts one failed login against the IP, its network and the username. */
  fail(attempt: LoginAttempt): Promise<void>;
  /** Remembers the IP as a known source of the username (nothing without a username). */
  succeed(attempt: LoginAttempt): Promise<void>;
}

/** Thresholds of a LoginLimiter; a limit of 0 turns that count off. */
export interface LoginLimits {
  /** Length of the counting window, ms: a count starts at its first failure and lapses this long after. */
  windowMs: number;
  /** Failures from one IP in a window before it is refused. */
  perIp: number;
  /** Failures from one IPv4 /24 or IPv6 /64 in a window before it is refused (larger: NAT, shared hosting). */
  perNetwork: number;
  /** Failures for one username in a window before it is refused from sources that are not known to it. */
  perUser: number;
}

/** How long a successful login keeps its IP a known source of the username: a month of quiet is long enough to forget it. */
export const KNOWN_SOURCE_TTL_MS = 30 * 24 * 3600_000;
