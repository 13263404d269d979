/**
 * The SMPP entry point of a node: the reassembler (on the node's Redis in a cluster, in memory
 * when embedded), the server (listeners, sessions, binds, submit_sm), the sweep that reports
 * concatenated submits that never completed, and the deliver_sm egress reading the sessions.
 * Start order is the list order; the node stops them in reverse (egress first, so deliver_sm in
 * flight finish before the sessions are unbound).
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../../internal/config/index.js';
import type { BindRegistry, NodeStatsSource } from '../../internal/cluster/index.js';
import type { Redis } from '../../internal/redis/index.js';
import type { LoginLimiter } from '../../internal/lockout/index.js';
import type { LegContext, RecordWriter } from '../../internal/records/index.js';
import type { FailoverRouting, FailureReporter, SentRecorder } from '../../internal/router/index.js';
import {
  MemoryReassembler,
  ReassemblyExpiry,
  RedisReassembler,
  SmppEgress,
  SmppServer,
  type Ingress,
  type Reassembler,
} from '../../internal/smpp/index.js';
import type { NodeContext, Stoppable } from './context.js';

export interface SmppContext extends NodeContext {
  /** The node's shared Redis client (REDIS_URL): reassembly then holds cluster-wide. */
  redis?: Redis;
  /** The node's failed-login limiter (logins.ts), shared with the REST logins. */
  logins: LoginLimiter;
  /** How an accepted submit is stored (the core's ingress router: routed and quota-checked on entry). */
  ingress: Ingress;
  /** The message core's ledger writer, legs and failure reporter. */
  records: RecordWriter;
  sent: SentRecorder;
  legs: LegContext;
  failures: FailureReporter;
  /** The cluster's bind registry: the server records binds in it, the egress asks who can receive. */
  binds: Pick<BindRegistry, 'claim' | 'receiverNodes'>;
  /** The message core's failover decision, for messages already queued. */
  failover: FailoverRouting;
}

/** Redis keys of reassembly sets: one namespace per bus prefix, so test runs sharing Redis stay apart. */
const reassemblyPrefix = (subjectPrefix: string) => `msggw:${subjectPrefix ? `${subjectPrefix}:` : ''}reassembly:`;

export async function buildSmpp(p: SmppContext): Promise<{ components: Stoppable[]; server: SmppServer; stats: NodeStatsSource }> {
  const { config, subjects, store, bus, directory, metrics, records, sent, legs, failures } = p;
  const logger = p.logger.child({ room: 'smpp' });
  const nodeId = config.node.serverId;
  const ttlMs = config.smpp.reassemblyTtlMs;
  const { redis } = p;
  const reassembler: Reassembler = redis
    ? new RedisReassembler({ ttlMs, ...config.smpp.reassemblyLimits, keyPrefix: reassemblyPrefix(config.bus.subjectPrefix) }, { redis })
    : new MemoryReassembler({ ttlMs, ...config.smpp.reassemblyLimits });
  const server = new SmppServer(
    {
      nodeId,
      listen: config.smpp.listen,
      proxyProtocol: config.smpp.proxyProtocol,
      trustedProxies: config.smpp.trustedProxies,
      windowSize: config.smpp.windowSize,
      bindTimeoutMs: config.smpp.bindTimeoutMs,
      maxConnections: config.smpp.maxConnections,
      maxConnectionsPerIp: config.smpp.maxConnectionsPerIp,
      timeoutMs: config.smpp.timeoutMs,
      enquireLinkIntervalMs: config.smpp.enquireLinkIntervalMs,
      inactivityTimeoutMs: config.smpp.inactivityTimeoutMs,
      loginFailureDelayMs: config.lockout.failureDelayMs,
      tls: await tlsOptions(config),
      drainMs: config.node.shutdown.smppUnbindMs,
    },
    {
      directory,
      binds: p.binds,
      metrics,
      logger,
      records: store.records,
      logins: p.logins,
      reassembler,
      ingress: p.ingress,
    },
  );
  const expiry = new ReassemblyExpiry(
    { subjects, nodeId, ttlMs: config.smpp.reassemblyTtlMs },
    { reassembler, bus, records, legs, logger },
  );
  const egress = new SmppEgress(
    {
      subjects,
      nodeId,
      retries: config.smpp.retries,
      timeoutMs: config.smpp.timeoutMs,
      queueMaxAgeMs: config.smpp.queueMaxAgeMs,
      windowSize: config.smpp.windowSize,
      maxDeliver: config.smpp.maxDeliver,
      failoverGraceMs: config.smpp.failoverGraceMs,
    },
    {
      bus,
      sessions: server.sessions,
      client: (id) => directory.client(id),
      clients: () => directory.clients(),
      records,
      sent,
      legs,
      failures,
      logger,
      metrics,
      failover: { receivers: p.binds, routing: p.failover },
    },
  );
  const components: Stoppable[] = [
    { name: 'smpp reassembly', start: async () => undefined, stop: () => reassembler.close() },
    { name: 'smpp server', start: () => server.start(), stop: () => server.stop() },
    { name: 'smpp reassembly expiry', start: async () => expiry.start(), stop: () => expiry.stop() },
    { name: 'smpp egress', start: () => egress.start(), stop: () => egress.stop() },
  ];
  return { components, server, stats: () => ({ smpp_clients: server.stats() }) };
}

async function tlsOptions(config: Config): Promise<{ listen: Config['smpp']['listen']; cert: Buffer; key: Buffer } | undefined> {
  const tls = config.smpp.tls;
  if (!tls) return undefined;
  const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]);
  return { listen: tls.listen, cert, key };
}
