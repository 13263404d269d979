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
  /** Router decisions: route kind, or 'rejected'. */
  readonly routed: Counter<'route'>;
  readonly routingLatency: Histogram;
  /** Delivery attempts by egress: result ok | retry | failed. */
  readonly egress: Counter<'protocol' | 'carrier' | 'result'>;
  /** One send attempt (carrier API call, webhook POST, deliver_sm round trip). */
  readonly egressLatency: Histogram<'protocol' | 'carrier'>;
  /** 1 on the node holding a carrier's egress lease. */
  readonly carrierLeader: Gauge<'carrier'>;
  /** Status events turned into receipts or webhooks. */
  readonly statusEvents: Counter<'status'>;
  /** Text exposition for /metrics. */
  render(): Promise<string>;
  readonly contentType: string;
}
