/**
 * One gateway node: builds every component from the configuration, starts them in dependency
 * order (store → bus → directory → cluster → entry points) and stops them in reverse.
 * main.ts runs one; tests may run several in one process, since nothing here is global.
 */
import type { Config } from '../../internal/config/index.js';
import { createSecretBox } from '../../internal/crypto/index.js';
import { createStore, type Store } from '../../internal/store/index.js';
import { createBus, DeadLetterStore, type Bus } from '../../internal/bus/index.js';
import { createDirectory, type MemoryDirectory } from '../../internal/directory/index.js';
import { BindRegistry, ClusterStats, ConfigSync, ensureStreams, readQueues, type ReceiverLookup } from '../../internal/cluster/index.js';
import { createApp, WebServer, type SmppPresence, type WebDeps } from '../../internal/web/index.js';
import { createMetrics, messageCounters, MetricsServer, type Metrics } from '../../internal/metrics/index.js';
import type { Logger } from '../../internal/log/index.js';
import { subjects } from '../../proto/subjects.js';
import { unsignedWebhooksWarning } from '../../proto/carrier-types.js';
import { buildMessageCore } from './message-core.js';
import type { NodeContext, Stoppable } from './context.js';
import { buildMedia } from './media.js';
import { buildSmpp } from './smpp.js';
import { buildMm4 } from './mm4.js';
import { connectNodeRedis, nodeQuota } from './quota.js';
import { nodeLogins } from './logins.js';
import type { LoginLimiter } from '../../internal/lockout/index.js';
import type { Quota } from '../../internal/quota/index.js';
import { carrierWebhooks } from '../../internal/carriers/index.js';
import type { IngressRouter } from '../../internal/router/index.js';
import { stopWithin } from './stop-order.js';
import { buildBatches } from './batch.js';
import { readJobStatus, type BatchService } from '../../internal/batch/index.js';

/** Left of SHUTDOWN_TIMEOUT_SECS for main to log and exit after the components stopped. */
const EXIT_RESERVE_MS = 1_000;

interface Component {
  name: string;
  stop(): Promise<void>;
}

export class GatewayNode {
  readonly metrics: Metrics;
  #components: Component[] = [];
  #ready = false;
  #stopping?: Promise<void>;
  #web?: WebServer;
  #bus?: Bus;
  #store?: Store;
  #binds?: BindRegistry;

  constructor(
    readonly config: Config,
    private readonly logger: Logger,
  ) {
    this.metrics = createMetrics({ serverId: config.node.serverId });
  }

  /** The node's store once started (tests read records through it: PGlite admits one opener). */
  get store(): Store | undefined {
    return this.#store;
  }

  /** Which nodes hold each client's receiving SMPP binds, once started (tests wait on it). */
  get receivers(): ReceiverLookup | undefined {
    return this.#binds;
  }

  /** The web listener's bound address (port 0 in tests resolves to the real port). */
  get webAddress(): { host: string; port: number } | undefined {
    return this.#web?.address();
  }

  /** Resolves when a component the node depends on ends by itself (e.g. the bus connection). */
  async closed(): Promise<void | Error> {
    return this.#bus ? this.#bus.closed() : undefined;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    const names = subjects(config.bus.subjectPrefix);
    const store = await this.openStore();

    const bus = createBus({ ...config.bus, drainTimeoutMs: config.node.shutdown.busDrainMs },
      { nodeId: config.node.serverId, logger: logger.child({ room: 'bus' }) });
    await bus.start();
    this.#bus = bus;
    this.track('bus', () => bus.stop());
    await ensureStreams(bus, names, { clientQueueMaxAgeMs: config.smpp.queueMaxAgeMs, ...config.durable });

    const directory = createDirectory(store);
    await directory.start();
    this.track('directory', () => directory.stop());
    this.warnUnsignedCarriers(directory);
    this.metrics.queues.readFrom(() => readQueues(names, { bus, clients: directory }));
    this.track('queue metrics', async () => this.metrics.queues.readFrom());

    const sync = new ConfigSync({ nodeId: config.node.serverId, subject: names.configChanged },
      { bus, directory, logger: logger.child({ room: 'cluster' }), metrics: this.metrics });
    await sync.start();
    this.track('config sync', () => sync.stop());

    const stats = new ClusterStats({ nodeId: config.node.serverId, subject: names.statsCollect }, { bus });
    stats.addSource(async () => ({ messages: await messageCounters(this.metrics) }));
    await stats.start();
    this.track('stats', () => stats.stop());

    // Every SMPP bind in the cluster: the SMPP server records them, failover and smpp-status read them.
    const binds = new BindRegistry({ bucket: names.smppBindBucket, nodeId: config.node.serverId },
      { bus, logger: logger.child({ room: 'cluster' }) });
    await binds.start();
    this.#binds = binds;
    this.track('smpp bind registry', () => binds.stop());

    const parts: NodeContext = { config, subjects: names, store, bus, directory, logger, metrics: this.metrics };
    const redis = await connectNodeRedis(config, logger, (name, stop) => this.track(name, stop));
    const quota = nodeQuota(config, redis, directory, logger, this.metrics);
    this.track('quota', () => quota.close());
    const logins = nodeLogins(config, redis, logger);
    const media = buildMedia(parts);
    const core = buildMessageCore({ ...parts, redis, quota: quota.gate, media: media.store, receivers: binds,
      divertMedia: (egress, key) => media.detour.divert(egress, key), batchReport: (id) => readJobStatus(store.batches, id) });
    await this.startAll([...core.components, ...media.components(core)]);
    const smpp = await buildSmpp({ ...parts, ...core, redis, logins, binds, ingress: (message) => core.ingress.accept('smpp', message) });
    await this.startAll(smpp.components);
    stats.addSource(smpp.stats);
    const mm4 = await buildMm4({ ...parts, ...core, media: media.store, ingress: (message, dedupKey) => core.ingress.accept('mm4', message, dedupKey) });
    await this.startAll(mm4.components);
    stats.addSource(mm4.stats);

    const batches = buildBatches({ ...parts, ingress: core.ingress, usage: quota.usage });
    await this.startAll(batches.components);

    await this.startWeb(store, bus, directory, sync, stats, core.ingress, quota, media.store, logins, binds, batches.service);
    this.#ready = true;
    logger.info({ web: this.webAddress, cluster: config.cluster, store: store.driver, bus: config.bus.kind },
      'gateway node ready');
  }

  /**
   * Stops every component in reverse order, each even if another fails, within SHUTDOWN_TIMEOUT_SECS
   * (less a moment for the exit itself): one still stopping then is left behind and reported in
   * the rejection. Idempotent.
   */
  stop(): Promise<void> {
    const { timeoutMs } = this.config.node.shutdown;
    this.#stopping ??= this.stopAll(Date.now() + timeoutMs - Math.min(EXIT_RESERVE_MS, timeoutMs / 10));
    return this.#stopping;
  }

  private async openStore(): Promise<Store> {
    const { config } = this;
    const secretBox = createSecretBox(config.secrets.encryptionKey);
    const store = await createStore(config.store, { secretBox,
      onConnectionLost: (err) => this.logger.warn({ err }, 'lost an idle database connection') });
    this.track('store', () => store.close());
    this.#store = store;
    const applied = await store.migrate();
    if (applied.length > 0) this.logger.info({ migrations: applied }, 'database migrated');
    await store.verifySecrets();
    return store;
  }

  /** Once per start, a line for each carrier whose inbound webhooks anyone could forge. */
  private warnUnsignedCarriers(directory: MemoryDirectory): void {
    for (const carrier of directory.carriers()) {
      const warning = unsignedWebhooksWarning(carrier);
      if (warning) this.logger.warn({ carrier: carrier.name, carrierId: carrier.id, type: carrier.type }, `carrier ${carrier.name}: ${warning}`);
    }
  }

  private async startWeb(
    store: Store, bus: Bus, directory: MemoryDirectory, sync: ConfigSync, stats: ClusterStats, ingress: IngressRouter,
    quota: Quota, media: WebDeps['media'], logins: LoginLimiter, smppPresence: SmppPresence, batches: BatchService,
  ) {
    const { config, logger } = this;
    const names = subjects(config.bus.subjectPrefix);
    // The web port serves the metrics to the admin only; PROMETHEUS_LISTEN, when set, to anyone reaching it.
    const metricsRoute = { metrics: this.metrics, path: config.web.metrics.path };
    const app = createApp({
      store, directory, changes: sync,
      apiKey: config.secrets.apiKey,
      serverAddress: config.node.serverAddress,
      serverId: config.node.serverId,
      logger: logger.child({ room: 'web' }),
      stats: () => stats.collect(),
      ready: () => this.#ready,
      autoReply: config.autoReply,
      metrics: metricsRoute,
      bus,
      subjects: names,
      trustedProxies: config.web.trustedProxies,
      carrierWebhooks: carrierWebhooks(),
      ingress: (kind, message, dedupKey, repeatable) => ingress.accept(kind, message, dedupKey, repeatable),
      apiKeyRateLimit: quota.apiKeyLimit,
      media,
      usage: quota.usage,
      logins: { limiter: logins, failureDelayMs: config.lockout.failureDelayMs },
      deadLetters: new DeadLetterStore(bus, names),
      smppPresence,
      batches,
    });
    if (config.web.metrics.listen) {
      const metricsServer = new MetricsServer({ listen: config.web.metrics.listen, path: config.web.metrics.path },
        { metrics: this.metrics });
      await metricsServer.start();
      this.track('metrics server', () => metricsServer.stop());
    }
    const web = new WebServer({
      listen: config.web.listen, maxConnections: config.web.maxConnections, maxConnectionsPerIp: config.web.maxConnectionsPerIp,
      trustedProxies: config.web.trustedProxies,
    }, { app, metrics: this.metrics });
    await web.start();
    this.#web = web;
    this.track('web', () => web.stop());
  }

  /** Starts `components` in order, each stopped (in reverse) when the node stops. */
  private async startAll(components: Stoppable[]): Promise<void> {
    for (const component of components) {
      await component.start();
      this.track(component.name, () => component.stop());
    }
  }

  private track(name: string, stop: () => Promise<void>): void {
    this.#components.push({ name, stop });
  }

  private async stopAll(deadline: number): Promise<void> {
    this.#ready = false;
    const components = this.#components.reverse();
    this.#components = [];
    await stopWithin(components, deadline, this.logger);
  }
}
