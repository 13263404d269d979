import type { Logger } from '../log/index.js';
import type { LoginAttempt, LoginGate, LoginLimiter } from './types.js';

/** While Redis stays down, its warning is logged at most this often. */
const WARN_EVERY_MS = 60_000;

/**
 * The cluster's limiter with a way down: each call goes to `shared` (Redis); when that fails,
 * the attempt is counted and judged by `local` (this node's memory) and a warning is logged.
 *
 * It fails open to per-node counting rather than closed: refusing every login while Redis is
 * down would turn a Redis fault into an outage of every entry point, and the password check
 * still stands. During the outage a guesser gets the per-node limits on each node it reaches.
 */
export class FallbackLoginLimiter implements LoginLimiter {
  #warnedAtMs = -Infinity;

  constructor(
    private readonly shared: LoginLimiter,
    private readonly local: LoginLimiter,
    private readonly deps: { logger: Logger; now?: () => number },
  ) {}

  admit(attempt: LoginAttempt): Promise<LoginGate> {
    return this.#either((limiter) => limiter.admit(attempt));
  }

  async fail(attempt: LoginAttempt): Promise<void> {
    await this.#either((limiter) => limiter.fail(attempt));
  }

  async succeed(attempt: LoginAttempt): Promise<void> {
    await this.#either((limiter) => limiter.succeed(attempt));
  }

  async #either<T>(call: (limiter: LoginLimiter) => Promise<T>): Promise<T> {
    try {
      return await call(this.shared);
    } catch (err) {
      this.#warn(err);
      return call(this.local);
    }
  }

  #warn(err: unknown): void {
    const now = (this.deps.now ?? Date.now)();
    if (now - this.#warnedAtMs < WARN_EVERY_MS) return;
    this.#warnedAtMs = now;
    this.deps.logger.warn({ err }, 'login failure counts unavailable: counting failed logins on this node only');
  }
}
