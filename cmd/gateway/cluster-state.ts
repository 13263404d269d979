/**
 * What a node keeps in step with the cluster once its store and bus are up: the directory
 * (clients, numbers, carriers) and the config-changed events that refresh it on every node, the
 * /stats collector, and the registry of every SMPP bind. node.ts starts these before any entry
 * point, since routing and the doors read them.
 */
import { BindRegistry, ClusterStats, ConfigSync, readQueues } from '../../internal/cluster/index.js';
import { createDirectory, type MemoryDirectory } from '../../internal/directory/index.js';
import type { Logger } from '../../internal/log/index.js';
import { messageCounters } from '../../internal/metrics/index.js';
import { unsignedWebhooksWarning } from '../../proto/carrier-types.js';
import type { NodeContext, TrackStop } from './context.js';

export interface ClusterState {
  directory: MemoryDirectory;
  sync: ConfigSync;
  stats: ClusterStats;
  binds: BindRegistry;
}

/** Starts each part in order; `track` registers its stop, which the node runs in reverse. */
export async function startClusterState(deps: Omit<NodeContext, 'directory'>, track: TrackStop): Promise<ClusterState> {
  const { config, subjects: names, bus, logger, metrics } = deps;
  const nodeId = config.node.serverId;
  const clusterLogger = logger.child({ room: 'cluster' });

  const directory = createDirectory(deps.store);
  await directory.start();
  track('directory', () => directory.stop());
  warnUnsignedCarriers(directory, logger);
  metrics.queues.readFrom(() => readQueues(names, { bus, clients: directory }));
  track('queue metrics', async () => metrics.queues.readFrom());

  const sync = new ConfigSync({ nodeId, subject: names.configChanged }, { bus, directory, logger: clusterLogger, metrics });
  await sync.start();
  track('config sync', () => sync.stop());

  const stats = new ClusterStats({ nodeId, subject: names.statsCollect }, { bus });
  stats.addSource(async () => ({ messages: await messageCounters(metrics) }));
  await stats.start();
  track('stats', () => stats.stop());

  // Every SMPP bind in the cluster: the SMPP server records them, failover and smpp-status read them.
  const binds = new BindRegistry({ bucket: names.smppBindBucket, nodeId }, { bus, logger: clusterLogger });
  await binds.start();
  track('smpp bind registry', () => binds.stop());

  return { directory, sync, stats, binds };
}

/** Once per start, a line for each carrier whose inbound webhooks anyone could forge. */
function warnUnsignedCarriers(directory: MemoryDirectory, logger: Logger): void {
  for (const carrier of directory.carriers()) {
    const warning = unsignedWebhooksWarning(carrier);
    if (warning) logger.warn({ carrier: carrier.name, carrierId: carrier.id, type: carrier.type }, `carrier ${carrier.name}: ${warning}`);
  }
}
