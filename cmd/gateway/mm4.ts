/**
 * The MM4 entry point of a node: the listener (inbound MM4_forward.REQ, responses and delivery
 * reports), the responder answering requests that ask for it, and the egress delivering
 * MM4_forward.REQ and delivery reports to legacy clients. Start order is the list order; the
 * node stops them in reverse (egress first, then the listener drains, then pending responses).
 */
import type { NodeStatsSource } from '../../internal/cluster/index.js';
import type { MediaStore } from '../../internal/media/index.js';
import { Mm4Egress, Mm4Inbound, Mm4Responder, Mm4Server, PeerDirectory, sendRaw, type SendRaw } from '../../internal/mm4/index.js';
import type { LegContext, RecordWriter } from '../../internal/records/index.js';
import type { FailureReporter, SentRecorder } from '../../internal/router/index.js';
import type { Message } from '../../proto/message.js';
import type { NodeContext, Stoppable } from './context.js';

export interface Mm4Context extends Omit<NodeContext, 'store'> {
  /** The message core's ledger writer, legs and failure reporter. */
  records: RecordWriter;
  sent: SentRecorder;
  legs: LegContext;
  failures: FailureReporter;
  /** The node's ingress (IngressRouter.accept('mm4', …)). */
  ingress(message: Message, dedupKey?: string): Promise<void>;
  /** The node's media store (inbound parts are put, outbound parts read by token). */
  media: MediaStore;
  /** SMTP delivery (tests may pass their own). */
  send?: SendRaw;
}

/** Delivery reports are wanted for days at most; the bucket forgets requests after a week. */
const REPORT_REQUEST_TTL_MS = 7 * 24 * 3600_000;
/** Responses to ack requests are retried quickly: the peer is waiting on them. */
const RESPONSE_RETRY_DELAY_MS = 2_000;

export async function buildMm4(p: Mm4Context): Promise<{ components: Stoppable[]; server: Mm4Server; stats: NodeStatsSource }> {
  const { config, subjects, bus, directory, metrics, records, sent, legs, failures } = p;
  const logger = p.logger.child({ room: 'mm4' });
  const mm4 = config.mm4;
  const send = p.send ?? sendRaw;
  const reports = await bus.kv(subjects.mm4ReportBucket, { ttlMs: REPORT_REQUEST_TTL_MS });
  const name = mm4.msgIdHost;
  const responder = new Mm4Responder(
    { originatorSystem: mm4.originatorSystem, retries: mm4.retries, timeoutMs: mm4.timeoutMs, retryDelayMs: RESPONSE_RETRY_DELAY_MS, name },
    { send, logger },
  );
  const inbound = new Mm4Inbound(
    { subjects, nodeId: config.node.serverId },
    { ingress: p.ingress, bus, reports, media: p.media, responder, logger, metrics },
  );
  const server = new Mm4Server(
    {
      listen: mm4.listen,
      proxyProtocol: mm4.proxyProtocol,
      trustedProxies: mm4.trustedProxies,
      maxMessageBytes: mm4.maxMessageBytes,
      maxConnections: mm4.maxConnections,
      maxConnectionsPerIp: mm4.maxConnectionsPerIp,
      socketTimeoutMs: mm4.socketTimeoutMs,
      name,
    },
    { peers: new PeerDirectory(directory), inbound, logger, metrics },
  );
  const egress = new Mm4Egress(
    {
      subjects,
      retries: mm4.retries,
      timeoutMs: mm4.timeoutMs,
      originatorSystem: mm4.originatorSystem,
      msgIdHost: mm4.msgIdHost,
      name,
      maxDeliver: p.config.durable.maxDeliver,
    },
    { bus, client: (id) => directory.client(id), media: p.media, reports, records, sent, legs, failures, send, logger, metrics },
  );
  const components: Stoppable[] = [
    { name: 'mm4 responder', start: async () => undefined, stop: () => responder.stop() },
    { name: 'mm4 server', start: () => server.start(), stop: () => server.stop() },
    { name: 'mm4 egress', start: () => egress.start(), stop: () => egress.stop() },
  ];
  return { components, server, stats: () => ({ mm4_clients: server.stats().map((row) => ({ ...row })) }) };
}
