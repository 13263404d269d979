/**
 * The auto-reply room's contract (upstream-behaviour.md §13.5): a number with auto-reply on
 * answers an inbound message with its configured text, at most once per cooldown per
 * (number, sender), and the inbound itself is not delivered. The cooldown and the opt-outs
 * live in an AutoReplyState shared by every node (Redis), or in memory on the embedded default.
 */
import type { Subjects } from '../../proto/subjects.js';
import type { DurableBus } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import type { LegContext, RecordWriter } from '../records/index.js';
import type { ClientNumber } from '../store/index.js';

/** AUTO_REPLY_ENABLED and AUTO_REPLY_DEFAULT_MESSAGE (upstream §2.5). */
export interface AutoReplyDefaults {
  /** The master switch: no number auto-replies while it is off. */
  enabled: boolean;
  /** Body used when a number enables auto-reply without its own message. */
  defaultMessage: string;
}

/** What auto-reply would do for a number, resolved from its settings and the defaults. */
export interface AutoReplyPlan {
  /** The number's own flag. */
  numberEnabled: boolean;
  /** The number's own message ('' when none). */
  numberMessage: string;
  /** The master switch, the number's flag and a non-empty body, and not suppressed by the STOP flag. */
  enabled: boolean;
  /** The text sent; '' when not enabled by the resolver. */
  message: string;
  /** Seconds between replies to one sender: the stored value, or 60 when it is 0 or less. */
  cooldownSecs: number;
  /** The number's ignore_stop_cmd_sending flag: it never auto-replies. */
  suppressedByStop: boolean;
}

/** A compliance keyword an inbound message consists of (CTIA / carrier opt-out conventions). */
export const Keyword = { STOP: 'stop', START: 'start', HELP: 'help' } as const;
export type Keyword = (typeof Keyword)[keyof typeof Keyword];

/**
 * Cluster-wide auto-reply state. Keys are (number, sender) pairs in canonical E.164. Every
 * method rejects when the backing service cannot be reached.
 */
export interface AutoReplyState {
  /**
   * Starts the pair's cooldown for `ttlMs`, held by `holder` (the inbound message id). True
   * when this call started it, or when `holder` already holds it (a redelivered message must
   * reach the same answer); false while another message's cooldown runs.
   */
  claimCooldown(number: string, sender: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Records that `sender` opted out of (true) or back into (false) messages from `number`. */
  setOptOut(number: string, sender: string, optedOut: boolean): Promise<void>;
  isOptedOut(number: string, sender: string): Promise<boolean>;
}

export interface AutoReplierOptions extends AutoReplyDefaults {
  /** This node's id, set as the reply's origin node. */
  nodeId: string;
  subjects: Subjects;
}

export interface AutoReplierDeps {
  /** Replies are published to msg.in.system for the router. */
  bus: Pick<DurableBus, 'publishDurable'>;
  /** The number a message was sent to, with its settings. */
  numberByE164(e164: string): ClientNumber | undefined;
  state: AutoReplyState;
  records: Pick<RecordWriter, 'write'>;
  legs: LegContext;
  logger: Logger;
  /** Milliseconds since the epoch; Date.now by default. */
  now?: () => number;
}
