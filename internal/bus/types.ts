/**
 * The bus contract: core messaging (at-most-once pub/sub, request/reply, scatter-gather) here,
 * and the durable half (JetStream streams, acknowledged publishes, pull consumers, KV for
 * leases) in durable-types.ts. NatsBus and MemoryBus implement both over the one connection
 * (or hub) each owns.
 */
import type { DurableBus } from './durable-types.js';

/** A message as a handler sees it. `data` is the handler's own copy. */
export interface BusMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Set when the sender waits for an answer (request or gather). */
  readonly reply?: string;
}

/**
 * Handles one message. Returning bytes answers a request (ignored when `msg.reply` is unset).
 * A thrown error or rejection is logged and the subscription keeps going; a requester then
 * gets no answer from this handler (its request times out or gathers without it).
 * Async handlers may overlap; the bus does not serialise them.
 */
export type BusHandler = (msg: BusMsg) => void | Uint8Array | Promise<void | Uint8Array>;

export interface BusSubscription {
  /** Stops delivery to this handler at once. Idempotent. Handlers already running finish. */
  unsubscribe(): void;
}

export interface RequestOptions {
  /** How long to wait for the first answer, in milliseconds. */
  timeoutMs: number;
}

export interface GatherOptions {
  /** How long to collect answers, in milliseconds. */
  timeoutMs: number;
  /** Stop early once this many answers have arrived. */
  max?: number;
}

export interface Bus extends DurableBus {
  /** Connects. Rejects with UnavailableError when the bus cannot be reached. Idempotent. */
  start(): Promise<void>;
  /**
   * Stops accepting new messages, lets running handlers finish (so their answers go out),
   * then closes. Idempotent: every call returns the same promise. Pending requests reject
   * with UnavailableError; pending gathers resolve with what they have.
   */
  stop(): Promise<void>;
  /**
   * The first step of a node's shutdown: its durable consumers ask for no more messages, while
   * what they hold or still receive is handled and acked as before; stopping each one afterwards
   * then waits for nothing that could have ended in the meantime. Optional: a bus whose consumers
   * stop at once has nothing to do.
   */
  stopPulling?(): void;
  /**
   * Resolves when the bus has ended: `undefined` after stop(), an Error when it ended on its
   * own (connection closed unexpectedly). Never rejects.
   */
  closed(): Promise<void | Error>;
  /**
   * Core publish: at-most-once, no acknowledgement, delivered to every subscriber whose pattern
   * matches (on any node). Resolves once handed to the transport. Rejects with UnavailableError
   * when the bus is not running, ValidationError for an invalid subject (wildcards included).
   */
  publish(subject: string, data: Uint8Array): Promise<void>;
  /**
   * Subscribes `handler` to `subject`, which may use NATS wildcards: `*` matches one token,
   * a final `>` one or more. Resolves once the server has registered the interest, so a
   * publish made afterwards by any node on that server reaches it (in a multi-server NATS
   * cluster, interest reaches the other servers moments later).
   */
  subscribe(subject: string, handler: BusHandler): Promise<BusSubscription>;
  /**
   * Sends a request and resolves with the first answer. Rejects with UnavailableError when no
   * one is subscribed (at once) or no answer arrives within `timeoutMs`.
   */
  request(subject: string, data: Uint8Array, opts: RequestOptions): Promise<Uint8Array>;
  /**
   * Scatter-gather: sends to every subscriber and collects each answer until `timeoutMs` has
   * passed or `max` answers arrived. Resolves `[]` at once when no one is subscribed. Answers
   * come in arrival order. Never rejects for lack of answers.
   */
  gather(subject: string, data: Uint8Array, opts: GatherOptions): Promise<Uint8Array[]>;
}

/** The subset of a pino logger the bus uses; pass the node's logger (child loggers welcome). */
export interface BusLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface BusDeps {
  /** This node's id: the NATS connection name, and part of log lines. */
  nodeId: string;
  /** Defaults to writing warnings and errors to stderr. */
  logger?: BusLogger;
}

export interface NatsBusOptions {
  /** NATS server URLs, e.g. `nats://10.0.0.5:4222`. */
  servers: string[];
  /** Initial connection timeout in ms (default DEFAULT_CONNECT_TIMEOUT_MS). Reconnects are unlimited. */
  connectTimeoutMs?: number;
  /** Pause between reconnect attempts in ms (default DEFAULT_RECONNECT_WAIT_MS). */
  reconnectWaitMs?: number;
  /** How long stop() waits for running handlers and the drain, in ms (default DEFAULT_DRAIN_TIMEOUT_MS). */
  drainTimeoutMs?: number;
  /** First retry delay after a durable handler threw, in ms (default HANDLER_ERROR_RETRY_MS); tests shorten it. */
  handlerRetryMs?: number;
  /** Wait for a PubAck when a publish gives none, in ms (default DEFAULT_PUBLISH_TIMEOUT_MS); tests shorten it. */
  publishTimeoutMs?: number;
}

/** Fail start() fast when NATS is down at boot: the orchestrator restarts the node. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** The NATS client's own default; short enough to resume within seconds of a server restart. */
export const DEFAULT_RECONNECT_WAIT_MS = 2_000;
/** Well inside Kubernetes' 30 s termination grace period, leaving time for the other components. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
