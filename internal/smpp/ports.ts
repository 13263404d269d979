/**
 * The contracts between the SMPP room's parts, so each can be built and tested on its own:
 *
 * - the server (listener, sessions, binds, submit_sm ingress) keeps LocalBinds, the binds this
 *   node holds;
 * - the deliver_sm egress (messages and receipts to a client) reads LocalBinds and sends
 *   through BoundSession.deliver();
 * - reassembly (memory on the embedded default, Redis in a cluster) joins concatenated submits
 *   before they are routed, whichever node each part arrived on.
 */
import type { BindMode } from '../cluster/index.js';
import type { SmppPart } from './types.js';

/** How an ESME bound, as the cluster's bind registry records it. */
export type { BindMode };

/** Addresses of a deliver_sm (npm smpp field names). */
export interface DeliverAddresses {
  source_addr: string;
  source_addr_ton: number;
  source_addr_npi: number;
  destination_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
}

/** What the client answered to one deliver_sm. */
export interface DeliverResult {
  /** command_status of the deliver_sm_resp (0 = ESME_ROK). */
  commandStatus: number;
}

/** One bound SMPP session on this node, as the egress sees it. */
export interface BoundSession {
  /** Unique per connection (node id + counter), for logs, stats and the session registry. */
  readonly id: string;
  readonly clientId: number;
  readonly systemId: string;
  readonly mode: BindMode;
  readonly remoteIp: string;
  /** receiver or transceiver: may be sent deliver_sm. */
  readonly canReceive: boolean;
  /**
   * Sends one deliver_sm made of `addresses` and `part`. Waits for a free slot of the session's
   * window first (SMPP window setting, default 10). Resolves with the client's answer; rejects
   * with SmppTimeoutError when no deliver_sm_resp arrives within the response timeout, and with
   * SmppSessionClosedError when the session ends before the answer (the PDU may or may not have
   * reached the client: the caller retries it elsewhere or later).
   */
  deliver(addresses: DeliverAddresses, part: SmppPart): Promise<DeliverResult>;
  /** True while the session is bound and not draining. */
  readonly open: boolean;
}

export interface LocalBindsEvents {
  /** A client's set of receiving sessions on this node changed (bound, unbound, closed). */
  onChange(listener: (clientId: number) => void): () => void;
}

/** The binds this node holds. */
export interface LocalBinds extends LocalBindsEvents {
  /** Open sessions of `clientId` that may receive deliver_sm, in bind order. */
  receivingSessions(clientId: number): readonly BoundSession[];
  /** Every open session (for stats). */
  all(): readonly BoundSession[];
}

export class SmppTimeoutError extends Error {
  override name = 'SmppTimeoutError';
}

export class SmppSessionClosedError extends Error {
  override name = 'SmppSessionClosedError';
}

/** One part of a concatenated submit_sm, decoded to text. */
export interface ConcatPart {
  clientId: number;
  /** Canonical E.164 source and destination. */
  from: string;
  to: string;
  /** Concatenation reference (8 or 16 bit value), total parts and this part's number (1-based). */
  ref: number;
  total: number;
  seq: number;
  /** This part's text, decoded from its data_coding. */
  text: string;
  /** The message id returned in this part's submit_sm_resp. */
  messageId: string;
  registeredDelivery: number;
  dataCoding: number;
  /** Milliseconds since the epoch. */
  receivedAt: number;
  /** Node and peer IP the part came from. */
  node: string;
  sourceIp: string;
}

/** A set that never completed in time, for its failure report. */
export interface ExpiredSet {
  clientId: number;
  from: string;
  to: string;
  ref: number;
  total: number;
  /** The parts that did arrive, ordered by seq. */
  parts: ConcatPart[];
}

/**
 * What one client may hold in incomplete sets, cluster-wide, so a client opening set after set
 * (part 1 of 255 with ever new refs) cannot grow the node's memory or Redis without bound.
 */
export interface ReassemblyLimits {
  /** Incomplete sets open at once per client (SMPP_REASSEMBLY_MAX_SETS). */
  maxOpenSetsPerClient: number;
  /** UTF-8 bytes of part text held per client (SMPP_REASSEMBLY_MAX_BYTES). */
  maxOpenBytesPerClient: number;
}

/** Options of Reassembler.add. */
export interface AddOptions {
  /**
   * The part was acknowledged before (a set taken for sending is being put back after its store
   * failed): store it even over the client's limits, since refusing it now would lose it.
   */
  restore?: boolean;
}

/**
 * Joins concatenated submits. A set is identified by (clientId, from, to, ref, total). Parts
 * may arrive in any order, on any node, and twice (a client retrying after a lost resp).
 */
export interface Reassembler {
  /**
   * Stores `part`. Resolves with every part of the set ordered by seq when this call completes
   * it (exactly one caller, cluster-wide, gets the complete set; the set is then removed), else
   * null. A repeated seq replaces nothing and returns null. Rejects when the store is down (the
   * server then answers ESME_RSYSERR, never OK). Rejects with ReassemblyFullError, storing
   * nothing, when a part that does not complete its set would take the client past its
   * ReassemblyLimits (a part that completes a set is always taken: it frees the rest).
   */
  add(part: ConcatPart, options?: AddOptions): Promise<ConcatPart[] | null>;
  /**
   * Removes and returns the sets whose first part is older than the TTL. Called periodically
   * by every node; each expired set is returned to exactly one caller.
   */
  takeExpired(now?: number): Promise<ExpiredSet[]>;
  close(): Promise<void>;
}
