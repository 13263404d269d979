/**
 * The auto-reply room: per-number auto-replies (upstream-behaviour.md §13.5) with a cooldown per
 * (number, sender) shared by every node, and the compliance keywords (STOP/START/HELP) that
 * decide what may be answered. The router asks AutoReplier.intercept() about every routed
 * message; the web room shows resolveAutoReply()'s view of a number.
 */
import type { Redis } from '../redis/index.js';
import { MemoryAutoReplyState } from './memory-state.js';
import { RedisAutoReplyState } from './redis-state.js';
import type { AutoReplyState } from './types.js';

export type { AutoReplyDefaults, AutoReplyPlan, AutoReplyState, AutoReplierOptions, AutoReplierDeps } from './types.js';
export { Keyword } from './types.js';
export { AutoReplier, replyId } from './auto-replier.js';
export { resolveAutoReply, DEFAULT_AUTO_REPLY_COOLDOWN_SECS } from './resolve.js';
export { complianceKeyword } from './keywords.js';
export { MemoryAutoReplyState, DEFAULT_MAX_PAIRS } from './memory-state.js';
export type { MemoryAutoReplyStateOptions } from './memory-state.js';
export { RedisAutoReplyState, OPT_OUT_TTL_MS } from './redis-state.js';
export type { RedisAutoReplyStateOptions, RedisAutoReplyStateDeps } from './redis-state.js';

/** Key prefix of the auto-reply state in a shared Redis. */
export const DEFAULT_AUTO_REPLY_KEY_PREFIX = 'msggw:autoreply:';

/**
 * Redis state when the node has the shared Redis client (cluster-wide cooldowns), else memory
 * (the embedded default: one node is the whole cluster).
 */
export function createAutoReplyState(redis: Redis | undefined, keyPrefix = DEFAULT_AUTO_REPLY_KEY_PREFIX): AutoReplyState {
  return redis ? new RedisAutoReplyState({ keyPrefix }, { redis }) : new MemoryAutoReplyState();
}
