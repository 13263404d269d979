/**
 * The quota room's contract: usage limits per client and per number (upstream-behaviour.md §12,
 * with BUG-5/6 fixed), the usage report behind GET /messages/usage, and the per-minute limit of
 * tenant API keys (§4.4), all on counters shared by every node.
 */
import type { ClientDetails, TenantApiKey } from '../store/index.js';
import type { Period } from './periods.js';

export type { Period };
export type QuotaMessageType = 'sms' | 'mms';
export type QuotaDirection = 'outbound' | 'inbound';
/** Which settings supplied the limit: the number's own (number_settings) or the client's. */
export type LimitLevel = 'client' | 'number';

/** One message (or SMPP part) to count. */
export interface QuotaRequest {
  /** The client the usage belongs to: the sender for outbound, the receiver for inbound. */
  clientId: number;
  /** The client's number involved (`from` outbound, `to` inbound), any form normalizeE164 accepts. */
  number: string;
  type: QuotaMessageType;
  /** What the message costs: SMS segments or 1 (see quotaUnits). At least 1. */
  units: number;
  direction: QuotaDirection;
  /**
   * The message's dedup key on the bus (a carrier's own message id for a webhook it may send
   * again; the message id on the router's redeliveries). A request whose key was admitted for
   * the same client and direction within the bus's duplicate window (DUPLICATE_WINDOW_MS) is
   * admitted again without counting, as the bus stores the message only once. Absent: every
   * request counts (a fresh message id).
   */
  dedupKey?: string;
}

/** Why a message was refused: the first exceeded limit in burst → daily → monthly order. */
export interface QuotaRefusal {
  period: Period;
  type: QuotaMessageType;
  level: LimitLevel;
  /** Upstream's name for it: `<period>_<type>_<level>`, e.g. `daily_sms_client`. */
  limitType: string;
  limit: number;
  /** Units used in the period before this message. */
  currentUsage: number;
  /** When the period ends and the counter starts again, ms since the epoch. */
  resetsAtMs: number;
  /** From the gate's clock to resetsAtMs, ms (for Retry-After). */
  retryAfterMs: number;
  /** The number as canonical E.164 (as given when it is not one). */
  number: string;
  /** Upstream's text: `SMS daily limit exceeded (500/500)`. */
  message: string;
}

/** An admitted message's units stay counted unless the caller gives them back. */
export interface Admission {
  admitted: true;
  /**
   * Takes the units back, e.g. when the message could not be stored after all. Idempotent;
   * never throws (a lost refund over-counts by this message, it never under-counts).
   */
  refund(): Promise<void>;
}

export type QuotaDecision = Admission | { admitted: false; refusal: QuotaRefusal };

/**
 * Admits or refuses messages against every limit that applies, counting them cluster-wide.
 * A limit of N admits exactly N units in its period however many nodes admit at once.
 */
export interface QuotaGate {
  /** Rejects with UnavailableError when the counters cannot be reached (nothing is counted then). */
  admit(request: QuotaRequest): Promise<QuotaDecision>;
}

/** One period's figure for the client block of the usage report. */
export interface PeriodUsage {
  used: number;
  /** The client-level limit (0 = none). */
  limit: number;
}

/** One number's figures: its own daily limits (0 = none, the client's applies) and usage. */
export interface NumberUsage {
  number: string;
  tag: string;
  group: string;
  limitBoth: boolean;
  daily: Record<QuotaMessageType, PeriodUsage>;
}

/** What GET /messages/usage reports, read from the counters (never from the ledger). */
export interface UsageReport {
  /** The client's stored timezone string, echoed (upstream did). */
  timezone: string;
  /** The zone periods were computed in (UTC when the stored one is empty or unknown). */
  zone: string;
  nowMs: number;
  client: Record<QuotaMessageType, Record<Period, PeriodUsage>>;
  numbers: NumberUsage[];
  /** When each current period ends, ms since the epoch. */
  resetsAtMs: Record<Period, number>;
}

/** Reads the counters for the usage report. */
export interface QuotaUsage {
  report(client: ClientDetails): Promise<UsageReport>;
}

/**
 * Per-key request limit (upstream §4.4): resolves when the key may make another request this
 * minute, rejects with QuotaRefusedError (429) when it is over its `rateLimit`. Keys with
 * rateLimit 0 are never limited.
 */
export type ApiKeyLimit = (key: TenantApiKey) => Promise<void>;

/** The client lookups the gate needs (the node's directory). */
export interface QuotaView {
  client(id: number): ClientDetails | undefined;
}
