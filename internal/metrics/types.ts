import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ScrapeSource } from './scrape.js';

/**
 * The bus's queues as one scrape reads them (cluster-wide: every node reads the same JetStream,
 * so dashboards take `max by` over nodes). Stream labels are stage names (in, carrier, smpp, mm4,
 * webhook, status, media, ledger, dead_letter); consumers are durable names, clients usernames:
 * all made by configuration, none by a peer.
 */
export interface QueueSnapshot {
  streams: Array<{ stream: string; messages: number }>;
  consumers: Array<{ stream: string; consumer: string; pending: number; ackPending: number; redelivered: number; ackFloor: number }>;
  /** Messages waiting per client, for the client queues (smpp, mm4, webhook). */
  clients: Array<{ protocol: string; client: string; messages: number }>;
  /** Dead letters stored, by the stage that gave them up. */
  deadLetters: Array<{ stream: string; messages: number }>;
}

/** MM4 sessions open on a node, by the client(s) the peer's address speaks for. */
export type Mm4SessionCounts = Array<{ client: string; sessions: number }>;

/** Every metric a node exports, on the node's own Registry. */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly configChanges: Counter<'kind' | 'source'>;
  /** Messages accepted (stored durably) by an entry point. */
  readonly ingress: Counter<'protocol'>;
  /** Receive → durable ack, per entry point. */
  readonly ingressLatency: Histogram<'protocol'>;
  /** Router decisions: route kind, 'rejected', or 'repeat' (a caller key stored before). */
  readonly routed: Counter<'route'>;
  readonly routingLatency: Histogram;
  /** Delivery attempts by egress: result ok | retry | failed. */
  readonly egress: Counter<'protocol' | 'carrier' | 'result'>;
  /** One send attempt (carrier API call, webhook POST, deliver_sm round trip). */
  readonly egressLatency: Histogram<'protocol' | 'carrier'>;
  /** 1 on the node holding a carrier's egress lease. */
  readonly carrierLeader: Gauge<'carrier'>;
  readonly egressYielding: Gauge;
  /** Status events turned into receipts or webhooks. */
  readonly statusEvents: Counter<'status'>;
  /**
   * Messages the bus gave up on (dead-lettered), by stage (in, carrier, webhook, smpp, mm4,
   * status, media, other) and reason (retry, error, ack_wait): bounded label values.
   */
  readonly deadLetters: Counter<'stream' | 'reason'>;
  /**
   * Messages refused by a quota, by type, period and client (username; clients are made by the
   * admin, so the label set is bounded by configuration).
   */
  readonly quotaRejections: Counter<'type' | 'period' | 'client'>;
  /**
   * Carrier send attempts that failed, by carrier name and code: the HTTP status for the common
   * ones (400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504), else its class (4xx,
   * 5xx, 2xx for an unreadable success), `no_answer` (timeout, network) or `other`.
   */
  readonly carrierErrors: Counter<'carrier' | 'code'>;
  /** Transcode jobs by result: ok, retry (will be tried again), failed (the sender is told). */
  readonly transcodeJobs: Counter<'result'>;
  /** Transcode jobs given up, by gateway error code (PAYLOAD_TOO_LARGE, VALIDATION, …). */
  readonly transcodeFailures: Counter<'code'>;
  /** One transcode job (fetch, fit, publish), by result. */
  readonly transcodeDuration: Histogram<'result'>;
  /** MM4 connections from an address no client's allow-list names (answered 550). */
  readonly mm4PeersRefused: Counter;
  /** Set by the MM4 server: its open sessions, read on scrape (msggw_mm4_sessions). */
  readonly mm4Sessions: ScrapeSource<Mm4SessionCounts>;
  /** Set by the node once its bus is up: queue depths, read on scrape and cached a few seconds. */
  readonly queues: ScrapeSource<QueueSnapshot>;
  /**
   * SMPP egress, per client (system_id) and kind (message | receipt): deliver_sm answered
   * ESME_ROK (sent), refused or unanswered and tried again (retried), throttled by the client
   * (throttled), and jobs given up (failed, expired).
   */
  readonly smppDeliver: Counter<'client' | 'kind' | 'result'>;
  /** One deliver_sm round trip (send to deliver_sm_resp), per client and kind. */
  readonly smppDeliverLatency: Histogram<'client' | 'kind'>;
  /** SMPP PDUs by command, command_status name and direction (in = from the ESME, out = ours). */
  readonly smppPdus: Counter<'command' | 'status' | 'direction'>;
  /**
   * SMPP request to response: for requests an ESME sends, receipt to our answer; for requests we
   * send (deliver_sm, enquire_link), send to the ESME's answer.
   */
  readonly smppPduLatency: Histogram<'command' | 'direction'>;
  /** SMPP sessions bound on this node, by bind mode. */
  readonly smppBinds: Gauge<'mode'>;
  /**
   * Connections an entry point (smpp, mm4, web) closed before its protocol started: over a
   * connection cap, or a PROXY header from an untrusted peer or a bad one (peer ConnectionRefusal).
   */
  readonly connectionsRefused: Counter<'door' | 'reason'>;
  /**
   * Carrier webhooks accepted without a signature check, by carrier name: the carrier has no key
   * to verify with, or its verify_webhooks is off. A rate here is traffic anyone could forge.
   */
  readonly webhooksUnverified: Counter<'carrier'>;
  /**
   * Batch items handled by this node's batch worker: sent (stored for delivery), failed (could
   * not be a message), held (a quota held the batch back at this item).
   */
  readonly batchItems: Counter<'result'>;
  /** Text exposition for /metrics. */
  render(): Promise<string>;
  readonly contentType: string;
}
