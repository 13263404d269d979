/**
 * One gateway node: builds every component from the configuration, starts them in dependency
 * order (store → bus → directory → cluster → entry points) and stops them in reverse.
 * main.ts runs one; tests may run several in one process, since nothing here is global.
 */
import type { Config } from '../../internal/config/index.js';
import { createSecretBox } from '../../internal/crypto/index.js';
import { createStore, type Store } from '../../internal/store/index.js';
import { createBus, type Bus } from '../../internal/bus/index.js';
import { ensureStreams, type BindRegistry, type ReceiverLookup } from '../../internal/cluster/index.js';
import type { WebServer } from '../../internal/web/index.js';
import { createMetrics, type Metrics } from '../../internal/metrics/index.js';
import type { Logger } from '../../internal/log/index.js';
import { subjects } from '../../proto/subjects.js';
import { startClusterState } from './cluster-state.js';
import { buildMessageCore } from './message-core.js';
import type { NodeContext, Stoppable } from './context.js';
import { buildMedia } from './media.js';
import { buildSmpp } from './smpp.js';
import { buildMm4 } from './mm4.js';
import { buildWeb } from './web.js';
import { connectNodeRedis, nodeQuota } from './quota.js';
import { nodeLogins } from './logins.js';
import { stopWithin } from './stop-order.js';
import { buildBatches } from './batch.js';
import { readJobStatus } from '../../internal/batch/index.js';

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

    const bus = createBus(
      { ...config.bus, drainTimeoutMs: config.node.shutdown.busDrainMs },
      { nodeId: config.node.serverId, logger: logger.child({ room: 'bus' }) },
    );
    await bus.start();
    this.#bus = bus;
    this.track('bus', () => bus.stop());
    await ensureStreams(bus, names, { clientQueueMaxAgeMs: config.smpp.queueMaxAgeMs, ...config.durable });

    const { directory, sync, stats, binds } = await startClusterState(
      { config, subjects: names, store, bus, logger, metrics: this.metrics },
      (name, stop) => this.track(name, stop),
    );
    this.#binds = binds;

    const context: NodeContext = { config, subjects: names, store, bus, directory, logger, metrics: this.metrics };
    const redis = await connectNodeRedis(config, logger, (name, stop) => this.track(name, stop));
    const quota = nodeQuota(config, redis, directory, logger, this.metrics);
    this.track('quota', () => quota.close());
    const logins = nodeLogins(config, redis, logger);
    const media = buildMedia(context);
    const core = buildMessageCore({
      ...context,
      redis,
      quota: quota.gate,
      media: media.store,
      receivers: binds,
      divertMedia: (egress, key) => media.detour.divert(egress, key),
      batchReport: (id) => readJobStatus(store.batches, id),
    });
    await this.startAll([...core.components, ...media.components(core)]);
    const smpp = await buildSmpp({ ...context, ...core, redis, logins, binds, ingress: (message) => core.ingress.accept('smpp', message) });
    await this.startAll(smpp.components);
    stats.addSource(smpp.stats);
    const mm4 = await buildMm4({
      ...context,
      ...core,
      media: media.store,
      ingress: (message, dedupKey) => core.ingress.accept('mm4', message, dedupKey),
    });
    await this.startAll(mm4.components);
    stats.addSource(mm4.stats);

    const batches = buildBatches({ ...context, ingress: core.ingress, usage: quota.usage });
    await this.startAll(batches.components);

    const web = buildWeb({
      ...context,
      sync,
      stats,
      ingress: core.ingress,
      quota,
      media: media.store,
      logins,
      smppPresence: binds,
      batches: batches.service,
      ready: () => this.#ready,
    });
    await this.startAll(web.components);
    this.#web = web.server;
    this.#ready = true;
    logger.info({ web: this.webAddress, cluster: config.cluster, store: store.driver, bus: config.bus.kind }, 'gateway node ready');
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
    const store = await createStore(config.store, {
      secretBox,
      onConnectionLost: (err) => this.logger.warn({ err }, 'lost an idle database connection'),
    });
    this.track('store', () => store.close());
    this.#store = store;
    const applied = await store.migrate();
    if (applied.length > 0) this.logger.info({ migrations: applied }, 'database migrated');
    await store.verifySecrets();
    return store;
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
    // Every consumer's open pulls end within one fetch expiry, together, not one stop after another.
    this.#bus?.stopPulling?.();
    const components = this.#components.reverse();
    this.#components = [];
    await stopWithin(components, deadline, this.logger);
  }
}
