/**
 * Sends the deliver_sm parts of one job (a message's parts, or its receipts) over a client's
 * sessions, in order, each part once it got ESME_ROK. Failures are retried inside the job's
 * delivery, so a part already answered is never sent again and a long message keeps its
 * concatenation reference:
 *
 * - an error command_status, a timeout or a closed session spends one retry (SMPP_RETRIES),
 *   and the part goes to another session when there is one;
 * - ESME_RTHROTTLED / ESME_RMSGQFUL spend none: the session cools down and the part waits, up to
 *   `throttleMaxWaitMs` per delivery; then the job goes back to the stream for later;
 * - no session left on this node: the job goes back to the stream at once, for another node or
 *   the next bind.
 */
import { ESME } from '../../proto/errors.js';
import type { DurableMsg } from '../bus/index.js';
import { backoffDelay } from '../bus/index.js';
import { SmppSessionClosedError, SmppTimeoutError, type DeliverAddresses } from './ports.js';
import type { SessionPool, SessionSlot } from './session-pool.js';
import type { SmppPart } from './types.js';

/** SMPP 3.4 §5.1.3: the ESME's queue is full; like ESME_RTHROTTLED, "slow down", not "no". */
const ESME_RMSGQFUL = 0x14;
const THROTTLING: ReadonlySet<number> = new Set([ESME.RTHROTTLED, ESME_RMSGQFUL]);
/** First pause after a throttle answer; doubles per answer in a row up to the max. */
const THROTTLE_BASE_MS = 250;
const THROTTLE_MAX_MS = 5_000;
/** Retry pauses never outgrow the ack wait's margin (the job calls working() around them). */
const RETRY_MAX_DELAY_MS = 30_000;
/** How often a job waiting for a window slot tells the bus it is still working (keepAlive spaces them further). */
export const SLOT_WAIT_KEEPALIVE_MS = 1_000;

export interface SendPolicy {
  /** Retries of a failed part after the first attempt (SMPP_RETRIES). */
  retries: number;
  /** First pause before a retry; doubles per failure. */
  retryDelayMs: number;
  /** Longest a delivery waits out throttling before the job goes back to the stream. */
  throttleMaxWaitMs: number;
}

export type SendEvent =
  | { kind: 'sent'; seconds: number }
  /** `cause`: an error command_status, no deliver_sm_resp in time, or the session closed first. */
  | { kind: 'retried'; reason: string; cause: 'non_ok' | 'timeout' | 'closed'; seconds?: number }
  | { kind: 'throttled'; seconds: number };

export interface SendJob {
  pool: SessionPool;
  addresses: DeliverAddresses;
  parts: readonly SmppPart[];
  /** The bus delivery, kept alive (working()) while parts go out; see keepAlive. */
  msg: Pick<DurableMsg, 'working'>;
  signal: AbortSignal;
  /** Every attempt's result, for metrics and logs. */
  observe(event: SendEvent): void;
}

export type SendResult =
  | { kind: 'sent' }
  /** Retries spent: the job has failed. */
  | { kind: 'failed'; reason: string }
  /** No open session on this node (or stopping): give the job back at once. */
  | { kind: 'unbound' }
  /** Still throttled after throttleMaxWaitMs: give the job back after `delayMs`. */
  | { kind: 'throttled'; delayMs: number };

type Attempt = { ok: true } | { ok: false; throttled: boolean; reason: string; backoff: boolean };

interface Budget {
  failures: number;
  /** Throttle answers in a row, and when the first of them came (ms since the epoch). */
  throttles: number;
  throttledSince?: number;
}

/** Sends every part in order; resolves how the job ended. */
export async function sendParts(job: SendJob, policy: SendPolicy): Promise<SendResult> {
  const budget: Budget = { failures: 0, throttles: 0 };
  for (const part of job.parts) {
    const result = await sendPart(job, part, policy, budget);
    if (result.kind !== 'sent') return result;
  }
  return { kind: 'sent' };
}

async function sendPart(job: SendJob, part: SmppPart, policy: SendPolicy, budget: Budget): Promise<SendResult> {
  let avoid: string | undefined;
  for (;;) {
    const slot = await acquireKeepingAlive(job, avoid);
    if (!slot) return { kind: 'unbound' };
    job.msg.working();
    const attempt = await deliverOnce(job, slot, part);
    if (attempt.ok) {
      budget.throttles = 0;
      budget.throttledSince = undefined;
      return { kind: 'sent' };
    }
    avoid = slot.session.id;
    const pause = attempt.throttled ? throttlePause(job, slot, budget, policy) : failurePause(attempt, budget, policy);
    if (typeof pause !== 'number') return pause;
    if (pause > 0 && !(await sleep(pause, job))) return { kind: 'unbound' };
  }
}

/**
 * A window slot. While every slot is taken the job may wait behind hundreds of others (a slow or
 * throttled client), so its bus delivery is kept alive meanwhile: past its ack wait it would be
 * delivered again and sent twice.
 */
async function acquireKeepingAlive(job: SendJob, avoid: string | undefined): Promise<SessionSlot | null> {
  job.msg.working();
  const timer = setInterval(() => job.msg.working(), SLOT_WAIT_KEEPALIVE_MS);
  try {
    return await job.pool.acquire({ avoid, signal: job.signal });
  } finally {
    clearInterval(timer);
  }
}

/** One deliver_sm; the slot is released whatever happens. */
async function deliverOnce(job: SendJob, slot: SessionSlot, part: SmppPart): Promise<Attempt> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const { commandStatus } = await slot.session.deliver(job.addresses, part);
    if (commandStatus === ESME.ROK) {
      job.observe({ kind: 'sent', seconds: seconds() });
      return { ok: true };
    }
    const throttled = THROTTLING.has(commandStatus);
    const reason = `deliver_sm_resp command_status 0x${commandStatus.toString(16).padStart(8, '0')}`;
    job.observe(throttled ? { kind: 'throttled', seconds: seconds() } : { kind: 'retried', reason, cause: 'non_ok', seconds: seconds() });
    return { ok: false, throttled, reason, backoff: true };
  } catch (err) {
    if (err instanceof SmppTimeoutError || err instanceof SmppSessionClosedError) {
      const reason = err instanceof SmppTimeoutError ? 'no deliver_sm_resp in time' : 'session closed before deliver_sm_resp';
      job.observe({ kind: 'retried', reason, cause: err instanceof SmppTimeoutError ? 'timeout' : 'closed' });
      // A closed session says nothing about the client's health: try the next one at once.
      return { ok: false, throttled: false, reason, backoff: err instanceof SmppTimeoutError };
    }
    throw err;
  } finally {
    slot.release();
  }
}

/** How long to wait before the next attempt, or the job's end when retries are spent. */
function failurePause(attempt: Attempt & { ok: false }, budget: Budget, policy: SendPolicy): number | SendResult {
  budget.failures++;
  budget.throttles = 0;
  budget.throttledSince = undefined;
  if (budget.failures > policy.retries) {
    return { kind: 'failed', reason: `${attempt.reason} (${budget.failures} attempts)` };
  }
  return attempt.backoff ? backoffDelay(budget.failures, policy.retryDelayMs, RETRY_MAX_DELAY_MS) : 0;
}

/**
 * Throttling spends no retry: the session cools down (every job of the client leaves it alone
 * meanwhile, which is what slows the flow) and the part goes to the next usable session, or
 * waits for this one. Past throttleMaxWaitMs the job goes back to the stream.
 */
function throttlePause(job: SendJob, slot: SessionSlot, budget: Budget, policy: SendPolicy): number | SendResult {
  budget.throttles++;
  budget.throttledSince ??= Date.now();
  const pause = backoffDelay(budget.throttles, THROTTLE_BASE_MS, THROTTLE_MAX_MS);
  job.pool.coolDown(slot.session.id, pause);
  if (Date.now() - budget.throttledSince + pause > policy.throttleMaxWaitMs) return { kind: 'throttled', delayMs: pause };
  return 0;
}

/** Waits `ms` keeping the bus delivery alive; false when the egress is stopping. */
async function sleep(ms: number, job: SendJob): Promise<boolean> {
  job.msg.working();
  const ended = await new Promise<boolean>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      job.signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    job.signal.addEventListener('abort', onAbort, { once: true });
  });
  job.msg.working();
  return ended && !job.signal.aborted;
}

/**
 * `msg` whose working() reaches the bus at most once per `intervalMs`: each call is a message to
 * the server, and a job answered at once (the common case) needs none.
 */
export function keepAlive(msg: Pick<DurableMsg, 'working'>, intervalMs: number): Pick<DurableMsg, 'working'> {
  let last = Date.now();
  return {
    working: () => {
      const now = Date.now();
      if (now - last < intervalMs) return;
      last = now;
      msg.working();
    },
  };
}
