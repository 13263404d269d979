/**
 * Batch sending on a node: the service behind /messages/batch and the worker that takes batches
 * from the shared batch.run consumer and sends them through the node's ingress.
 */
import { BatchService, BatchWorker, type BatchDeps, type BatchOptions } from '../../internal/batch/index.js';
import type { QuotaUsage } from '../../internal/quota/index.js';
import type { IngressRouter } from '../../internal/router/index.js';
import { DEFAULT_MAX_TEXT_CHARS } from '../../internal/text/index.js';
import type { NodeContext, Stoppable } from './context.js';

export interface BatchContext extends NodeContext {
  ingress: IngressRouter;
  usage: QuotaUsage;
}

export function buildBatches(p: BatchContext): { service: BatchService; components: Stoppable[] } {
  const { config } = p;
  const options: BatchOptions = {
    subjects: p.subjects,
    nodeId: config.node.serverId,
    maxMessages: config.batch.maxMessages,
    maxTextChars: DEFAULT_MAX_TEXT_CHARS,
    leaseMs: config.batch.leaseMs,
    concurrency: config.batch.concurrency,
    // The embedded bus forgets its messages when the process ends; the database does not.
    resumeOnStart: config.bus.kind === 'memory',
  };
  const deps: BatchDeps = {
    store: p.store.batches,
    bus: p.bus,
    usage: p.usage,
    logger: p.logger.child({ room: 'batch' }),
    metrics: p.metrics,
    client: (id) => p.directory.client(id),
    ingress: (kind, message, dedupKey, repeatable) => p.ingress.accept(kind, message, dedupKey, repeatable),
  };
  const worker = new BatchWorker(options, deps);
  return {
    service: new BatchService(options, deps),
    components: [{ name: 'batch worker', start: () => worker.start(), stop: () => worker.stop() }],
  };
}
