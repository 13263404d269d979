/**
 * The durable half of the bus (JetStream in a cluster, in-process queues when embedded):
 * streams, acknowledged publishes with dedup, pull consumers shared by every node, and a KV
 * bucket for leases. Implemented by NatsBus and MemoryBus with the same semantics, proved by
 * one conformance suite (test/conformance/durable-bus.ts).
 */

export type Retention = 'workqueue' | 'limits';

export interface StreamSpec {
  /** Stream name (proto/subjects.ts `streams`). */
  name: string;
  /** Subjects it stores; may use wildcards. */
  subjects: string[];
  /** workqueue: a message is removed once acked (each filter subject has one consumer). */
  retention: Retention;
  /** Messages older than this are dropped (0 = keep until acked). */
  maxAgeMs?: number;
  /**
   * The oldest messages are dropped to keep the stream under this many bytes (0 = no limit): a
   * bound for the disk, not an exact count (JetStream counts subjects and overhead too, the
   * MemoryBus payloads only).
   */
  maxBytes?: number;
  /** Window in which a repeated msgId is dropped as a duplicate. Default 2 min. */
  duplicateWindowMs?: number;
  /** File (default) or memory storage; ignored by MemoryBus. */
  storage?: 'file' | 'memory';
}

export interface PublishOptions {
  /** Dedup key (Nats-Msg-Id): a second publish with the same id inside the window is dropped. */
  msgId?: string;
  /** Give up waiting for the stream ack after this long. Default 5 s. */
  timeoutMs?: number;
}

export interface PublishAck {
  stream: string;
  seq: number;
  /** True when the stream already had this msgId: nothing new was stored. */
  duplicate: boolean;
}

export interface ConsumerSpec {
  stream: string;
  /** Durable name: every node consuming the same name shares the work. */
  durable: string;
  /** Only these subjects (one subject or one wildcard). */
  filterSubject: string;
  /** Redeliver when not acked within this long. Default 30 s. */
  ackWaitMs?: number;
  /**
   * Deliveries before the message is given up (the handler sees the last one). 0 = unlimited.
   * Every delivery counts, a retry's included: a consumer that waits by retrying sizes this to
   * its wait. A message given up goes to `deadLetterSubject` when one is set:
   * - a `retry` returned (or a throw) on the last delivery: dead-lettered, then termed;
   * - a last delivery whose ack wait runs out (its node died): dead-lettered and deleted from
   *   the stream by whichever node consumes it next (on JetStream, from nats-server's
   *   MAX_DELIVERIES advisory).
   * Without `deadLetterSubject` the first is termed and the second, as nats-server 2.9 does,
   * stays in a workqueue stream until the stream's maxAgeMs.
   */
  maxDeliver?: number;
  /**
   * Where messages given up after maxDeliver go, as a proto/dead-letter.ts envelope (original
   * subject, stream, consumer, sequence, deliveries, reason, time, payload). Its stream must
   * exist. Published with a dedup id per stream message, so it is stored once.
   */
  deadLetterSubject?: string;
  /**
   * Messages in flight across all nodes for this consumer: delivered and not yet acked,
   * including those waiting out a retry delay. Default 1000.
   */
  maxAckPending?: number;
}

/** A durable message as a handler sees it. */
export interface DurableMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  /** Stream sequence (unique per stream). */
  readonly seq: number;
  /** Extends the ack deadline for long work (restarts the ack wait). */
  working(): void;
}

/** What a handler decides; the consume loop applies it (acks are never scattered in handlers). */
export type Outcome =
  | { kind: 'ack' }
  /**
   * Redeliver after `delayMs` (counts as a delivery). The message stays in flight meanwhile
   * (it counts against maxAckPending), like a JetStream nak with delay.
   */
  | { kind: 'retry'; delayMs: number }
  /**
   * Never redeliver (removed from a workqueue stream): the handler has reported the failure
   * itself. `reason` is logged by the consume loop; nats-server 2.9 cannot store it.
   */
  | { kind: 'term'; reason: string };

export const ack: Outcome = { kind: 'ack' };
export const retry = (delayMs: number): Outcome => ({ kind: 'retry', delayMs });
export const term = (reason: string): Outcome => ({ kind: 'term', reason });

/**
 * Handles one durable message. A handler that throws (or rejects) is logged and retried after
 * a backoff that grows with the delivery count (HANDLER_ERROR_RETRY_*).
 */
export type DurableHandler = (msg: DurableMsg) => Promise<Outcome>;

export interface ConsumeOptions {
  /** Handlers running at once on this node. Default 1 (ordered). */
  concurrency?: number;
}

export interface Consumer {
  /**
   * Stops fetching, waits for running handlers to finish and applies their outcomes (or naks
   * what cannot finish within the drain deadline, so another node gets it at once). Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * A stage's consumer gives a message up after this many deliveries unless told otherwise
 * (BUS_MAX_DELIVER): with a throwing handler's backoff, about 8 minutes of retries.
 */
export const DEFAULT_MAX_DELIVER = 20;
/**
 * Deliveries a stage may see that are not attempts of its own retry budget: a give-back at
 * shutdown, a dead node's ack wait, a retry(0) while stopping.
 */
export const NON_ATTEMPT_DELIVERIES = 3;

/**
 * The maxDeliver of a stage that retries `retries` times itself: at least `floor`, and never
 * cutting those retries short (the stage reports its own failure first).
 */
export function maxDeliverFor(floor: number = DEFAULT_MAX_DELIVER, retries = 0): number {
  return Math.max(floor, retries + 1 + NON_ATTEMPT_DELIVERIES);
}

/** Default ack wait: the JetStream default; long work calls `working()`. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** Default cap on messages in flight per consumer across the cluster. */
export const DEFAULT_MAX_ACK_PENDING = 1000;
/** Default dedup window: the JetStream default (a stream with a shorter maxAgeMs uses that). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;
/** Default wait for a stream ack before publishDurable rejects. */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;
/** First retry delay after a handler threw; doubles per delivery up to the max. */
export const HANDLER_ERROR_RETRY_MS = 1_000;
export const HANDLER_ERROR_RETRY_MAX_MS = 30_000;

/** A message as a stream stores it. */
export interface StreamMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  /** Epoch ms when it was stored. */
  readonly storedAt: number;
}

/**
 * A durable consumer's position as JetStream reports it (consumer info), for metrics: what is
 * waiting, what is in flight, and how far acknowledgements have reached.
 */
export interface ConsumerState {
  readonly durable: string;
  /** Messages matching the filter not yet delivered (num_pending). */
  readonly pending: number;
  /** Delivered and not yet acked, termed or nak'd (num_ack_pending). */
  readonly ackPending: number;
  /** Of those, the ones delivered more than once (num_redelivered). */
  readonly redelivered: number;
  /** Stream sequence at or below which every message is acknowledged (ack_floor.stream_seq). */
  readonly ackFloor: number;
}

/** A stream's size and its durable consumers (`DurableBus.streamState`). */
export interface StreamState {
  /** Messages stored: for a workqueue stream, those not yet acked or termed. */
  readonly messages: number;
  readonly consumers: readonly ConsumerState[];
}

export interface KvEntry {
  value: string;
  revision: number;
}

/**
 * A KV bucket whose entries expire `ttlMs` after their last write (bucket-wide TTL; nats-server
 * 2.9 has no per-key TTL and sends no event on expiry, so leases are polled).
 */
export interface KvBucket {
  get(key: string): Promise<KvEntry | null>;
  /** Creates the key only if absent (or expired/deleted); null when it exists. */
  create(key: string, value: string): Promise<number | null>;
  /** Updates only if the revision still matches; null when it moved on (or the key expired). */
  update(key: string, value: string, revision: number): Promise<number | null>;
  /**
   * Deletes the key. With `revision`, only if the entry still has that revision (a lease
   * releases only what it holds); false when it moved on.
   */
  delete(key: string, revision?: number): Promise<boolean>;
}

export interface DurableBus {
  /**
   * Creates the stream or updates its subjects/limits; safe when several nodes do it at once.
   * Rejects with ConflictError when its subjects overlap another stream's or when it exists
   * with another retention or storage (those cannot change).
   */
  ensureStream(spec: StreamSpec): Promise<void>;
  /**
   * Stores `data` durably; resolves only after the stream acknowledged it (the ingress may then
   * answer success). Rejects with UnavailableError when it was certainly not stored, and with
   * OutcomeUnknownError when it may have been (written, then no acknowledgement in time or the
   * connection lost): a publish again with the same msgId within the dedup window stores it once.
   */
  publishDurable(subject: string, data: Uint8Array, opts?: PublishOptions): Promise<PublishAck>;
  /**
   * Creates (or updates) the durable pull consumer and starts consuming it with `handler`.
   * Every node that consumes the same durable shares its messages. Rejects with NotFoundError
   * when the stream does not exist, ConflictError when another durable on a workqueue stream
   * has an overlapping filter. Stopping the bus stops its consumers first.
   */
  consume(spec: ConsumerSpec, handler: DurableHandler, opts?: ConsumeOptions): Promise<Consumer>;
  /**
   * Messages stored in a stream (optionally only those matching `filterSubject`): for a
   * workqueue stream, those not yet acked or termed (for tests, metrics and benchmarks).
   */
  pending(stream: string, filterSubject?: string): Promise<number>;
  /**
   * Messages stored per subject matching `filterSubject` (subjects with none are absent): one
   * call for every client's queue of a `msg.out.<kind>.>` stream. Rejects with NotFoundError
   * when the stream does not exist.
   */
  subjectCounts(stream: string, filterSubject: string): Promise<Record<string, number>>;
  /** The stream's size and its consumers' positions. Rejects with NotFoundError when absent. */
  streamState(stream: string): Promise<StreamState>;
  /**
   * The first message of `stream` at or after sequence `seq` (whose subject matches
   * `filterSubject`, when given), or null when there is none: for reading a limits stream such
   * as the dead letters. Rejects with NotFoundError when the stream does not exist.
   */
  readMessage(stream: string, seq: number, filterSubject?: string): Promise<StreamMessage | null>;
  /** Removes one message from a stream; false when it was not there. */
  deleteMessage(stream: string, seq: number): Promise<boolean>;
  /** Deletes a durable consumer (no-op when absent). A running consume() recreates it. */
  deleteConsumer(stream: string, durable: string): Promise<void>;
  /** Opens the bucket, creating it or updating its TTL; several nodes may do it at once. */
  kv(bucket: string, opts: { ttlMs: number }): Promise<KvBucket>;
}
