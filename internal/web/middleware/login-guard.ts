import { AuthError, QuotaExceededError } from '../../errors/index.js';
import { FailureDelay, type LoginAttempt, type LoginLimiter } from '../../lockout/index.js';
import type { WebLogins } from '../types.js';

/**
 * A REST login from a source that failed too often (internal/lockout): 429 with Retry-After,
 * answered before the credentials are looked at, so it says nothing about them.
 */
export class TooManyLoginsError extends QuotaExceededError {
  override name = 'TooManyLoginsError';
  /** Until the refusing count lapses, ms (Retry-After). */
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number) {
    super('Too many failed logins; try again later');
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }
}

/**
 * The REST entry points' use of the failed-login limiter: asks it before a password is checked,
 * counts a check that fails with AuthError, and answers every failure (refused or wrong)
 * FailureDelay after the attempt began. Without a limiter nothing is counted or delayed.
 */
export class LoginGuard {
  readonly #limiter?: LoginLimiter;
  readonly #delay: FailureDelay;

  constructor(logins: WebLogins | undefined) {
    this.#limiter = logins?.limiter;
    this.#delay = new FailureDelay(logins?.failureDelayMs ?? 0);
  }

  /** Runs `check` (which throws AuthError for wrong credentials) as the login `attempt`. */
  async attempt<T>(attempt: LoginAttempt, check: () => T | Promise<T>): Promise<T> {
    const limiter = this.#limiter;
    if (!limiter) return check();
    const startedAt = this.#delay.start();
    const gate = await limiter.admit(attempt);
    if (!gate.allowed) {
      await this.#delay.wait(startedAt);
      throw new TooManyLoginsError(gate.retryAfterMs);
    }
    let result: T;
    try {
      result = await check();
    } catch (err) {
      if (err instanceof AuthError) {
        await limiter.fail(attempt);
        await this.#delay.wait(startedAt);
      }
      throw err;
    }
    await limiter.succeed(attempt);
    return result;
  }
}
