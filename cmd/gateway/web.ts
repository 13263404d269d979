/**
 * The web entry point of a node: the Koa app (admin API, client sends, carrier webhooks) and its
 * HTTP listener, plus the separate metrics listener when PROMETHEUS_LISTEN is set. Start order is
 * the list order; the node stops them in reverse.
 */
import type { BatchService } from '../../internal/batch/index.js';
import { DeadLetterStore } from '../../internal/bus/index.js';
import { carrierWebhooks } from '../../internal/carriers/index.js';
import type { ClusterStats, ConfigSync } from '../../internal/cluster/index.js';
import type { LoginLimiter } from '../../internal/lockout/index.js';
import { MetricsServer } from '../../internal/metrics/index.js';
import type { Quota } from '../../internal/quota/index.js';
import type { IngressRouter } from '../../internal/router/index.js';
import { createApp, WebServer, type SmppPresence, type WebDeps } from '../../internal/web/index.js';
import type { NodeContext, Stoppable } from './context.js';

export interface WebContext extends NodeContext {
  sync: ConfigSync;
  stats: ClusterStats;
  ingress: IngressRouter;
  quota: Quota;
  media: WebDeps['media'];
  logins: LoginLimiter;
  smppPresence: SmppPresence;
  batches: BatchService;
  /** Whether the node has finished starting (the readiness probe). */
  ready(): boolean;
}

export function buildWeb(p: WebContext): { components: Stoppable[]; server: WebServer } {
  const { config, logger, metrics, store, bus, directory, stats, ingress, quota } = p;
  // The web port serves the metrics to the admin only; PROMETHEUS_LISTEN, when set, to anyone reaching it.
  const metricsRoute = { metrics, path: config.web.metrics.path };
  const app = createApp({
    store,
    directory,
    changes: p.sync,
    apiKey: config.secrets.apiKey,
    serverAddress: config.node.serverAddress,
    serverId: config.node.serverId,
    logger: logger.child({ room: 'web' }),
    stats: () => stats.collect(),
    ready: p.ready,
    autoReply: config.autoReply,
    metrics: metricsRoute,
    bus,
    subjects: p.subjects,
    trustedProxies: config.web.trustedProxies,
    carrierWebhooks: carrierWebhooks(),
    ingress: (kind, message, dedupKey, repeatable) => ingress.accept(kind, message, dedupKey, repeatable),
    apiKeyRateLimit: quota.apiKeyLimit,
    media: p.media,
    usage: quota.usage,
    logins: { limiter: p.logins, failureDelayMs: config.lockout.failureDelayMs },
    deadLetters: new DeadLetterStore(bus, p.subjects),
    smppPresence: p.smppPresence,
    batches: p.batches,
  });
  const components: Stoppable[] = [];
  if (config.web.metrics.listen) {
    const metricsServer = new MetricsServer({ listen: config.web.metrics.listen, path: config.web.metrics.path }, { metrics });
    components.push({ name: 'metrics server', start: () => metricsServer.start(), stop: () => metricsServer.stop() });
  }
  const server = new WebServer(
    {
      listen: config.web.listen,
      maxConnections: config.web.maxConnections,
      maxConnectionsPerIp: config.web.maxConnectionsPerIp,
      trustedProxies: config.web.trustedProxies,
    },
    { app, metrics },
  );
  components.push({ name: 'web', start: () => server.start(), stop: () => server.stop() });
  return { components, server };
}
