import { z } from 'zod';
import {
  DEFAULT_LOGIN_FAILURE_DELAY_MS,
  DEFAULT_LOGIN_FAILURE_WINDOW_SECS,
  DEFAULT_LOGIN_FAILURES_PER_IP,
  DEFAULT_LOGIN_FAILURES_PER_NETWORK,
  DEFAULT_LOGIN_FAILURES_PER_USER,
} from './defaults.js';
import { fieldOr, Invalid, wholeNumber } from './fields.js';
import type { LockoutConfig } from './types.js';

const SECOND_MS = 1000;
const count = wholeNumber(0);
/** Longer than this would hold a refused SMPP connection or REST request open for no gain. */
const MAX_FAILURE_DELAY_MS = 10_000;

const delayMs = (raw: string): number | Invalid => {
  const n = count(raw);
  return typeof n === 'number' && n > MAX_FAILURE_DELAY_MS ? new Invalid(`expected a whole number from 0 to ${MAX_FAILURE_DELAY_MS}`) : n;
};

/** Failed-login limits of every entry point (internal/lockout). */
export function lockoutSchema() {
  return z
    .object({
      LOGIN_FAILURE_WINDOW_SECS: fieldOr(wholeNumber(1), DEFAULT_LOGIN_FAILURE_WINDOW_SECS),
      LOGIN_FAILURES_PER_IP: fieldOr(count, DEFAULT_LOGIN_FAILURES_PER_IP),
      LOGIN_FAILURES_PER_NETWORK: fieldOr(count, DEFAULT_LOGIN_FAILURES_PER_NETWORK),
      LOGIN_FAILURES_PER_USER: fieldOr(count, DEFAULT_LOGIN_FAILURES_PER_USER),
      LOGIN_FAILURE_DELAY_MS: fieldOr(delayMs, DEFAULT_LOGIN_FAILURE_DELAY_MS),
    })
    .transform((e): LockoutConfig => ({
      windowMs: e.LOGIN_FAILURE_WINDOW_SECS * SECOND_MS,
      perIp: e.LOGIN_FAILURES_PER_IP,
      perNetwork: e.LOGIN_FAILURES_PER_NETWORK,
      perUser: e.LOGIN_FAILURES_PER_USER,
      failureDelayMs: e.LOGIN_FAILURE_DELAY_MS,
    }));
}
