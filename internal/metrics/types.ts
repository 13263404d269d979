import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric a node exports, on the node's own Registry. */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly configChanges: Counter<'kind' | 'source'>;
  /** Messages accepted (stored durably) by a front door. */
  readonly ingress: Counter<'protocol'>;
  /** Receive → durable ack, per front door. */
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
  readonly quotaRejections: Counter<'type' | 'period'>;
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
   * Connections a front door (smpp, mm4, web) closed before its protocol started: over a
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
