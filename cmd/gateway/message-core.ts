/**
 * The message core of a node: the batched ledger writer, ingress routing, the router and status
 * router workers, webhook egress and leader-elected carrier egress, built from the node's shared
 * parts. Its records, legs and failure reporter are shared with the protocol front doors.
 */
import type { Config } from '../../internal/config/index.js';
import type { Bus } from '../../internal/bus/index.js';
import { findDriver } from '../../internal/carriers/index.js';
import type { Directory } from '../../internal/directory/index.js';
import { CarrierEgress, WebhookWorker } from '../../internal/egress/index.js';
import type { Logger } from '../../internal/log/index.js';
import type { Metrics } from '../../internal/metrics/index.js';
import { RecordWriter, type LegContext } from '../../internal/records/index.js';
import { FailureReporter, IngressRouter, Router, StatusRouter } from '../../internal/router/index.js';
import type { Store } from '../../internal/store/index.js';
import type { Subjects } from '../../proto/subjects.js';

export interface MessageCoreParts {
  config: Config;
  subjects: Subjects;
  store: Store;
  bus: Bus;
  directory: Directory;
  logger: Logger;
  metrics: Metrics;
}

export interface Stoppable {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Components in start order; the node stops them in reverse. */
export interface MessageCore {
  components: Stoppable[];
  carrierEgress: CarrierEgress;
  /** Routes messages where they arrive (REST, carrier webhooks). */
  ingress: IngressRouter;
  failures: FailureReporter;
  records: RecordWriter;
  legs: LegContext;
}

export function buildMessageCore(p: MessageCoreParts): MessageCore {
  const { config, subjects, store, bus, directory, metrics } = p;
  const logger = p.logger.child({ room: 'core' });
  const records = new RecordWriter(store.records);
  const legs: LegContext = {
    serverId: config.node.serverId,
    clientType: (id) => directory.client(id)?.type ?? 'unknown',
    logPrivacy: (id) => directory.client(id)?.logPrivacy ?? false,
  };
  const failures = new FailureReporter(
    { nodeId: config.node.serverId, notifySenderOnFailure: config.notifySenderOnFailure, subjects },
    { bus, records, legs },
  );
  const client = (id: number) => directory.client(id);
  const router = new Router({ subjects }, { bus, view: directory, records, legs, failures, logger, metrics });
  const ingress = new IngressRouter({ subjects }, { bus, view: directory, records, legs, logger, metrics });
  const statusRouter = new StatusRouter({ subjects }, { bus, records, recordRepo: store.records, client, logger, metrics });
  const webhooks = new WebhookWorker({ subjects, ...config.webhook },
    { bus, client, records, legs, failures, logger, metrics });
  const carrierEgress = new CarrierEgress(
    { nodeId: config.node.serverId, subjects, serverAddress: config.node.serverAddress, ...config.carrier },
    { bus, carriers: () => directory.carriers(), carrier: (id) => directory.carrier(id), driver: findDriver,
      records, legs, failures, logger, metrics,
      sentBefore: async (id) => (await store.records.byMessageId(id))
        .some((leg) => leg.direction === 'outbound' && leg.carrierMsgId !== '') },
  );
  const components: Stoppable[] = [
    { name: 'records', start: async () => undefined, stop: () => records.stop() },
    { name: 'router', start: () => router.start(), stop: () => router.stop() },
    { name: 'status router', start: () => statusRouter.start(), stop: () => statusRouter.stop() },
    { name: 'webhooks', start: () => webhooks.start(), stop: () => webhooks.stop() },
    { name: 'carrier egress', start: () => carrierEgress.start(), stop: () => carrierEgress.stop() },
  ];
  return { components, carrierEgress, ingress, failures, records, legs };
}
