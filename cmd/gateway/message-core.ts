/**
 * The message core of a node: the batched ledger writer, ingress routing, the router and status
 * router workers, webhook egress and leader-elected carrier egress, built from the node's shared
 * parts. Its records, legs and failure reporter are shared with the protocol entry points.
 */
import { AutoReplier, createAutoReplyState, DEFAULT_AUTO_REPLY_KEY_PREFIX } from '../../internal/autoreply/index.js';
import type { ReceiverLookup } from '../../internal/cluster/index.js';
import type { Redis } from '../../internal/redis/index.js';
import { findDriver } from '../../internal/carriers/index.js';
import { CarrierEgress, IngressFirst, WebhookWorker } from '../../internal/egress/index.js';
import type { MediaStore } from '../../internal/media/index.js';
import type { QuotaGate } from '../../internal/quota/index.js';
import { RecordWriter, type LegContext } from '../../internal/records/index.js';
import {
  DeadLetterReporter,
  FailoverRouting,
  FailureReporter,
  IngressRouter,
  kvIngressMemory,
  LedgerRepair,
  MsgInRouter,
  SentRecorder,
  StatusRouter,
  type EgressPublishDeps,
} from '../../internal/router/index.js';
import type { NodeContext, Stoppable } from './context.js';

export type { Stoppable } from './context.js';

export interface MessageCoreContext extends NodeContext {
  /** The node's shared Redis client (REDIS_URL): auto-reply cooldowns then hold cluster-wide. */
  redis?: Redis;
  /** Quotas checked where messages are routed (ingress and the router workers). */
  quota?: QuotaGate;
  /** Sends MMS whose media need fetching or transcoding to media.transcode first (cmd/gateway/media.ts). */
  divertMedia?: EgressPublishDeps['divertMedia'];
  /** The node's media store: generic webhooks inline stored media from it. */
  media: Pick<MediaStore, 'get'>;
  /** The cluster's receiving SMPP binds: messages of an unbound client go to its failover. */
  receivers: ReceiverLookup;
  /** The body of a batch's completion webhook (internal/batch readJobStatus). */
  batchReport?: (batchId: string) => Promise<unknown>;
}

/** Components in start order; the node stops them in reverse. */
export interface MessageCore {
  components: Stoppable[];
  carrierEgress: CarrierEgress;
  /** Routes messages where they arrive (REST, carrier webhooks). */
  ingress: IngressRouter;
  failures: FailureReporter;
  records: RecordWriter;
  /** Records sends that succeeded, handing them to the ledger repair when the database is down. */
  sent: SentRecorder;
  legs: LegContext;
  /** Readdresses SMPP messages of a client with no receiving bind to its failover. */
  failover: FailoverRouting;
}

export function buildMessageCore(p: MessageCoreContext): MessageCore {
  const { config, subjects, store, bus, directory, metrics } = p;
  const logger = p.logger.child({ room: 'core' });
  const records = new RecordWriter(store.records);
  const legs: LegContext = {
    serverId: config.node.serverId,
    clientType: (id) => directory.client(id)?.type ?? 'unknown',
    logPrivacy: (id) => directory.client(id)?.logPrivacy ?? false,
    clientName: (id) => directory.client(id)?.username,
  };
  const failures = new FailureReporter(
    { nodeId: config.node.serverId, notifySenderOnFailure: config.notifySenderOnFailure, subjects },
    { bus, records, legs },
  );
  const client = (id: number) => directory.client(id);
  const sent = new SentRecorder({ subjects }, { bus, records, legs, client, logger });
  const ledgerRepair = new LedgerRepair({ subjects }, { bus, records, legs, client, logger });
  // Namespaced by the subject prefix, like the quota counters: clusters sharing a Redis keep apart.
  const autoReplyKeys = `${DEFAULT_AUTO_REPLY_KEY_PREFIX}${config.bus.subjectPrefix ? `${config.bus.subjectPrefix}:` : ''}`;
  const autoReply = new AutoReplier(
    { ...config.autoReply, nodeId: config.node.serverId, subjects },
    { bus, numberByE164: (n) => directory.numberByE164(n), state: createAutoReplyState(p.redis, autoReplyKeys), records, legs, logger },
  );
  // Both routers hand their deps to publishEgress, which asks autoReply about every routed message.
  const failover = new FailoverRouting({ receivers: p.receivers, client, logger });
  const routing = {
    bus,
    view: directory,
    records,
    legs,
    failures,
    logger,
    metrics,
    autoReply,
    quota: p.quota,
    divertMedia: p.divertMedia,
    failover,
  };
  const maxDeliver = config.durable.maxDeliver;
  const router = new MsgInRouter({ subjects, maxDeliver }, routing);
  const memory =
    config.ingressDedupMs > 0
      ? kvIngressMemory(() => bus.kv(subjects.ingressSeenBucket, { ttlMs: config.ingressDedupMs }), logger)
      : undefined;
  const ingressFirst = new IngressFirst(config.ingressFirst, (busy) => metrics.egressYielding.set(busy ? 1 : 0));
  const ingress = new IngressRouter(
    { subjects },
    { ...routing, memory, load: ingressFirst, recorded: async (id) => (await store.records.byMessageId(id)).length > 0 },
  );
  const statusRouter = new StatusRouter({ subjects, maxDeliver }, { bus, records, recordRepo: store.records, client, logger, metrics });
  const webhooks = new WebhookWorker(
    { subjects, ...config.webhook, maxDeliver },
    { bus, client, records, media: p.media, sent, legs, failures, logger, metrics, ingressFirst, batchReport: p.batchReport },
  );
  const carrierEgress = new CarrierEgress(
    { nodeId: config.node.serverId, subjects, serverAddress: config.node.serverAddress, ...config.carrier, maxDeliver },
    {
      bus,
      carriers: () => directory.carriers(),
      carrier: (id) => directory.carrier(id),
      driver: findDriver,
      records,
      sent,
      legs,
      failures,
      logger,
      metrics,
      ingressFirst,
      sentBefore: async (id) =>
        (await store.records.byMessageId(id)).some((leg) => leg.direction === 'outbound' && leg.carrierMsgId !== ''),
    },
  );
  const deadLetters = new DeadLetterReporter({ subjects }, { bus, failures, logger, metrics });
  const components: Stoppable[] = [
    { name: 'records', start: async () => undefined, stop: () => records.stop() },
    { name: 'ledger repair', start: () => ledgerRepair.start(), stop: () => ledgerRepair.stop() },
    { name: 'router', start: () => router.start(), stop: () => router.stop() },
    { name: 'status router', start: () => statusRouter.start(), stop: () => statusRouter.stop() },
    { name: 'dead-letter reporter', start: () => deadLetters.start(), stop: () => deadLetters.stop() },
    { name: 'webhooks', start: () => webhooks.start(), stop: () => webhooks.stop() },
    { name: 'carrier egress', start: () => carrierEgress.start(), stop: () => carrierEgress.stop() },
  ];
  return { components, carrierEgress, ingress, failures, records, sent, legs, failover };
}
