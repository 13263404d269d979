/**
 * Every subject and stream name on the bus is built here and nowhere else (style.md: proto is
 * the contract). `prefix` lets tests and several clusters share one NATS server.
 */
export type IngressKind = 'smpp' | 'mm4' | 'web' | 'carrier' | 'system';

export interface Subjects {
  /** Core NATS: a configuration change; every node refreshes its caches. */
  readonly configChanged: string;
  /** Core NATS request: every node answers with its stats (scatter-gather). */
  readonly statsCollect: string;

  /** Durable: a message entering the gateway, for the router. */
  msgIn(kind: IngressKind): string;
  /** Wildcard of every msgIn subject (the router's filter). */
  readonly msgInAll: string;
  /** Durable: routed to a carrier's egress (consumed by that carrier's leader). */
  msgOutCarrier(carrierId: number): string;
  readonly msgOutCarrierAll: string;
  /** Durable: routed to a legacy client over SMPP (consumed by nodes holding its binds). */
  msgOutSmpp(clientId: number): string;
  readonly msgOutSmppAll: string;
  /** Durable: routed to a legacy client over MM4. */
  msgOutMm4(clientId: number): string;
  readonly msgOutMm4All: string;
  /** Durable: a webhook to a web client (messages and status webhooks). */
  msgOutWebhook(clientId: number): string;
  readonly msgOutWebhookAll: string;
  /** Durable: a delivery status event. */
  status(messageId: string): string;
  readonly statusAll: string;
  /** Durable: an MMS waiting for transcoding. */
  readonly mediaTranscode: string;
  /** Durable: a successful send whose ledger write failed (proto/sent-record.ts), for the ledger repair. */
  readonly ledgerRepair: string;
  /**
   * Durable: a message a consumer of `stream` gave up on (proto/dead-letter.ts envelope), kept in
   * the dead-letter stream for an operator to list and replay.
   */
  deadLetter(stream: string): string;
  readonly deadLetterAll: string;
  /** Durable: a batch job to run (proto/batch.ts), taken by any node's batch worker. */
  readonly batchRun: string;

  /** Stream names (JetStream names allow no dots or wildcards). */
  readonly streams: {
    readonly in: string;
    readonly carrier: string;
    readonly smpp: string;
    readonly mm4: string;
    readonly webhook: string;
    readonly status: string;
    readonly media: string;
    readonly ledger: string;
    readonly deadLetter: string;
    readonly batch: string;
  };
  /** KV bucket of carrier egress leases. */
  readonly leaseBucket: string;
  /** KV bucket of every SMPP bind in the cluster, one key per client (proto/smpp-binds.ts). */
  readonly smppBindBucket: string;
  /** KV bucket of MM4 requests that asked for delivery reports (the client's own ids). */
  readonly mm4ReportBucket: string;
  /** KV bucket of the caller-given keys of messages already stored (IngressRouter's memory). */
  readonly ingressSeenBucket: string;
  /** KV bucket of message ids whose dead letter was reported to the sender (reported once). */
  readonly deadLetterReportedBucket: string;
}

/** Message ids become subject tokens: keep only what NATS allows in a token. */
function token(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}

export function subjects(prefix = ''): Subjects {
  const p = prefix ? `${prefix}.` : '';
  const s = prefix ? `${prefix.toUpperCase().replace(/[^A-Z0-9_-]/g, '_')}_` : '';
  return {
    configChanged: `${p}cfg.changed`,
    statsCollect: `${p}stats.collect`,
    msgIn: (kind) => `${p}msg.in.${kind}`,
    msgInAll: `${p}msg.in.>`,
    msgOutCarrier: (id) => `${p}msg.out.carrier.${id}`,
    msgOutCarrierAll: `${p}msg.out.carrier.>`,
    msgOutSmpp: (id) => `${p}msg.out.smpp.${id}`,
    msgOutSmppAll: `${p}msg.out.smpp.>`,
    msgOutMm4: (id) => `${p}msg.out.mm4.${id}`,
    msgOutMm4All: `${p}msg.out.mm4.>`,
    msgOutWebhook: (id) => `${p}msg.out.webhook.${id}`,
    msgOutWebhookAll: `${p}msg.out.webhook.>`,
    status: (messageId) => `${p}status.${token(messageId)}`,
    statusAll: `${p}status.>`,
    mediaTranscode: `${p}media.transcode`,
    ledgerRepair: `${p}ledger.repair`,
    deadLetter: (stream) => `${p}dlq.${token(stream)}`,
    deadLetterAll: `${p}dlq.>`,
    batchRun: `${p}batch.run`,
    streams: {
      in: `${s}MSGGW_IN`,
      carrier: `${s}MSGGW_CARRIER`,
      smpp: `${s}MSGGW_SMPP`,
      mm4: `${s}MSGGW_MM4`,
      webhook: `${s}MSGGW_WEBHOOK`,
      status: `${s}MSGGW_STATUS`,
      media: `${s}MSGGW_MEDIA`,
      ledger: `${s}MSGGW_LEDGER`,
      deadLetter: `${s}MSGGW_DLQ`,
      batch: `${s}MSGGW_BATCH`,
    },
    leaseBucket: `${s}msggw_leases`,
    smppBindBucket: `${s}msggw_smpp_binds`,
    mm4ReportBucket: `${s}msggw_mm4_reports`,
    ingressSeenBucket: `${s}msggw_ingress_seen`,
    deadLetterReportedBucket: `${s}msggw_dead_reported`,
  };
}
