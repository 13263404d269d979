/**
 * The metrics room: one prom-client Registry per node (no default global registry, so several
 * nodes can live in one test process). Metric names carry the `msggw_` prefix and units.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { cappedCounter, cappedHistogram } from './series-cap.js';
import { queueGauges } from './queues.js';
import { ScrapeSource, scrapedGauge } from './scrape.js';
import type { Metrics, Mm4SessionCounts, QueueSnapshot } from './types.js';

export type { Metrics, Mm4SessionCounts, QueueSnapshot } from './types.js';
export { ScrapeSource } from './scrape.js';
export { carrierErrorCode } from './codes.js';

/**
 * Queue readings are this old at most: JetStream answers a stream/consumer info in about a
 * millisecond, and a scrape every 15 s or so asks once per scrape, however many gauges read it.
 */
const QUEUE_CACHE_MS = 5_000;
/** Transcoding: an image resize in tens of ms up to a video near TRANSCODE_TIMEOUT_SECS. */
const TRANSCODE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Seconds: sub-millisecond bus acks up to multi-second carrier calls. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsOptions {
  serverId: string;
  /** Node.js process metrics (event loop lag, heap, GC). Off in tests that build many nodes. */
  defaultMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ server_id: options.serverId });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const queues = new ScrapeSource<QueueSnapshot>(QUEUE_CACHE_MS);
  queueGauges(queues, registers);
  const mm4Sessions = new ScrapeSource<Mm4SessionCounts>(0);
  scrapedGauge({
    name: 'msggw_mm4_sessions',
    help: 'MM4 sessions open on this node, by the client(s) the peer address speaks for',
    labelNames: ['client'],
    registers,
    source: mm4Sessions,
    values: (rows) => rows.map((r) => ({ labels: { client: r.client }, value: r.sessions })),
  });
  return {
    registry,
    httpRequests: cappedCounter({
      name: 'msggw_http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpDuration: cappedHistogram({
      name: 'msggw_http_request_duration_seconds',
      help: 'HTTP request handling time',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    configChanges: cappedCounter({
      name: 'msggw_config_changes_total',
      help: "Configuration changes applied to this node's directory",
      labelNames: ['kind', 'source'],
      registers,
    }),
    ingress: cappedCounter({
      name: 'msggw_messages_ingress_total',
      help: 'Messages accepted (durably stored) by a front door',
      labelNames: ['protocol'],
      registers,
    }),
    ingressLatency: cappedHistogram({
      name: 'msggw_ingress_latency_seconds',
      help: 'Receive to durable acknowledgement, per front door',
      labelNames: ['protocol'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    routed: cappedCounter({
      name: 'msggw_messages_routed_total',
      help: 'Router decisions by route kind (or rejected, or repeat: a caller key stored before)',
      labelNames: ['route'],
      registers,
    }),
    routingLatency: cappedHistogram({
      name: 'msggw_routing_latency_seconds',
      help: 'Time to route one message (decide, publish, record)',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    egress: cappedCounter({
      name: 'msggw_messages_egress_total',
      help: 'Delivery attempts by egress and result (ok, retry, failed)',
      labelNames: ['protocol', 'carrier', 'result'],
      registers,
    }),
    egressLatency: cappedHistogram({
      name: 'msggw_egress_latency_seconds',
      help: 'One delivery attempt (carrier API call, webhook POST, deliver_sm)',
      labelNames: ['protocol', 'carrier'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    carrierLeader: new Gauge({
      name: 'msggw_carrier_leader',
      help: "1 on the node holding a carrier's egress lease, else 0",
      labelNames: ['carrier'],
      registers,
    }),
    egressYielding: new Gauge({
      name: 'msggw_egress_yielding',
      help: "1 while a node's carrier and webhook sends yield to its ingress (INGRESS_FIRST_AT), else 0",
      registers,
    }),
    statusEvents: cappedCounter({
      name: 'msggw_status_events_total',
      help: 'Delivery status events handled, by status',
      labelNames: ['status'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'msggw_dead_letters_total',
      help: 'Messages given up after maxDeliver and dead-lettered, by stage and reason',
      labelNames: ['stream', 'reason'],
      registers,
    }),
    quotaRejections: cappedCounter({
      name: 'msggw_quota_rejections_total',
      help: 'Messages refused by a quota, by message type, quota period and client',
      labelNames: ['type', 'period', 'client'],
      registers,
    }),
    carrierErrors: cappedCounter({
      name: 'msggw_carrier_errors_total',
      help: 'Carrier send attempts that failed, by carrier and HTTP status (or its class, no_answer, other)',
      labelNames: ['carrier', 'code'],
      registers,
    }),
    transcodeJobs: new Counter({
      name: 'msggw_transcode_jobs_total',
      help: 'MMS media transcode jobs by result (ok, retry, failed)',
      labelNames: ['result'],
      registers,
    }),
    transcodeFailures: new Counter({
      name: 'msggw_transcode_failures_total',
      help: 'Transcode jobs given up (the sender told), by gateway error code',
      labelNames: ['code'],
      registers,
    }),
    transcodeDuration: new Histogram({
      name: 'msggw_transcode_duration_seconds',
      help: "One transcode job: fetch, fit and publish the message's media",
      labelNames: ['result'],
      buckets: TRANSCODE_BUCKETS,
      registers,
    }),
    mm4PeersRefused: new Counter({
      name: 'msggw_mm4_peers_refused_total',
      help: 'MM4 connections from an address no client allows (answered 550 Access denied)',
      registers,
    }),
    mm4Sessions,
    queues,
    smppPdus: cappedCounter({
      name: 'msggw_smpp_pdus_total',
      help: 'SMPP PDUs by command, command_status and direction (in: from the ESME)',
      labelNames: ['command', 'status', 'direction'],
      registers,
    }),
    smppPduLatency: cappedHistogram({
      name: 'msggw_smpp_pdu_duration_seconds',
      help: "SMPP request to response, by the request's command and direction",
      labelNames: ['command', 'direction'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    smppBinds: new Gauge({
      name: 'msggw_smpp_binds',
      help: 'SMPP sessions bound on this node, by bind mode',
      labelNames: ['mode'],
      registers,
    }),
    connectionsRefused: cappedCounter({
      name: 'msggw_connections_refused_total',
      help: 'Connections a front door closed before its protocol started, by door and reason',
      labelNames: ['door', 'reason'],
      registers,
    }),
    smppDeliver: cappedCounter({
      name: 'msggw_smpp_deliver_sm_total',
      help: 'SMPP deliver_sm by client, kind (message, receipt) and result',
      labelNames: ['client', 'kind', 'result'],
      registers,
    }),
    smppDeliverLatency: cappedHistogram({
      name: 'msggw_smpp_deliver_sm_latency_seconds',
      help: 'deliver_sm to deliver_sm_resp, by client and kind',
      labelNames: ['client', 'kind'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    webhooksUnverified: cappedCounter({
      name: 'msggw_webhooks_unverified_total',
      help: 'Carrier webhooks accepted unsigned (the carrier has no key to verify with, or verify_webhooks is off), by carrier',
      labelNames: ['carrier'],
      registers,
    }),
    batchItems: cappedCounter({
      name: 'msggw_batch_items_total',
      help: "Batch items handled by this node's batch worker, by result (sent, failed, held)",
      labelNames: ['result'],
      registers,
    }),
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

export { MetricsServer } from './server.js';
export type { MetricsServerOptions } from './server.js';

/**
 * The message counters of a node as plain numbers for /stats: `{ ingress: { web: 12 }, … }`,
 * keyed by the metric's first label (egress by protocol:result).
 */
export async function messageCounters(metrics: Metrics): Promise<Record<string, Record<string, number>>> {
  const read = async (
    counter: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> },
    key: (labels: Record<string, unknown>) => string,
  ) => {
    const out: Record<string, number> = {};
    for (const v of (await counter.get()).values) out[key(v.labels)] = (out[key(v.labels)] ?? 0) + v.value;
    return out;
  };
  return {
    ingress: await read(metrics.ingress, (l) => String(l.protocol)),
    routed: await read(metrics.routed, (l) => String(l.route)),
    egress: await read(metrics.egress, (l) => `${l.protocol}:${l.result}`),
    status: await read(metrics.statusEvents, (l) => String(l.status)),
  };
}
