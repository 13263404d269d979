import type { ConfigChanges, Directory } from '../directory/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { Store } from '../store/index.js';

export type { Logger };

/** The node's metrics, as the web listener uses them. */
export interface WebMetrics {
  /** Counts and times every request (route label = the route pattern, never the raw path). */
  metrics: Metrics;
  /** PROMETHEUS_PATH when the web listener also serves the metrics; unset when another does. */
  path?: string;
}

/** AUTO_REPLY_ENABLED and AUTO_REPLY_DEFAULT_MESSAGE (upstream §2.5), for the auto-reply view. */
export interface AutoReplyDefaults {
  /** The master switch: no number auto-replies while it is off. */
  enabled: boolean;
  /** Body used when a number enables auto-reply without its own message. */
  defaultMessage: string;
}

/** Everything the admin app is built from; createApp reads nothing else. */
export interface WebDeps {
  /** Writes go here; every write is then announced through `changes`. */
  store: Store;
  /** The node's in-memory view; every read route answers from it. */
  directory: Directory;
  /** Applies a change to the local directory, then tells every other node. */
  changes: ConfigChanges;
  /** The admin API key (API_KEY): the Basic-auth password of every admin route. */
  apiKey: string;
  /** Public base URL of this gateway (SERVER_ADDRESS), used for carriers' `webhook_url`. */
  serverAddress: string;
  /** This node's id (SERVER_ID). */
  serverId: string;
  logger: Logger;
  /** Extra /stats fields (e.g. SMPP and MM4 sessions across the cluster), merged over the defaults. */
  stats?: () => Promise<Record<string, unknown>>;
  /** True between a finished start() and the first moment of stop(): drives /health and /ready. */
  ready: () => boolean;
  /** Defaults to auto-reply switched off with no default message. */
  autoReply?: AutoReplyDefaults;
  /** Without it no HTTP metrics are recorded and no metrics path is served. */
  metrics?: WebMetrics;
}
