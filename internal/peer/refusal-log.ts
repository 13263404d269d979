/**
 * Logging the connections a listener refuses before its protocol starts. Each one at debug only: a
 * flood would otherwise fill the log. But a PROXY header from an untrusted peer is also warned
 * about, at most once a minute per listener: it is what a balancer missing from TRUSTED_PROXIES
 * looks like, and then every client is refused.
 */
import type { Logger } from '../log/index.js';
import type { ConnectionRefusal } from './connection-limit.js';

/** At most one warning per listener per this long. */
const WARN_EVERY_MS = 60_000;

export type RefusalLog = (reason: ConnectionRefusal, details: { peer?: string; detail?: string }) => void;

export function refusalLog(logger: Logger, door: string, now: () => number = Date.now): RefusalLog {
  let warnedAt = -Infinity;
  return (reason, details) => {
    const fields = { door, reason, ...details };
    if (reason === 'proxy_untrusted' && now() - warnedAt >= WARN_EVERY_MS) {
      warnedAt = now();
      logger.warn(
        fields,
        'PROXY header from a peer not in TRUSTED_PROXIES refused (if it is your load balancer, add it); further ones are logged at debug for a minute',
      );
      return;
    }
    logger.debug(fields, 'connection refused');
  };
}
