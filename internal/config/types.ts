/**
 * The gateway's configuration, one section per room. cmd loads it once (`loadConfig`) and hands
 * each room only its section. Durations carry their unit in the name.
 */

/** A TCP listen address. `host` is bare (no IPv6 brackets), ready for `server.listen`. */
export interface ListenAddress {
  host: string;
  port: number;
}

export interface NodeConfig {
  /** SERVER_ID: written into every message record; defaults to the host name. */
  serverId: string;
  /** SERVER_ADDRESS: public base URL for media links, without trailing slashes. */
  serverAddress: string;
  /** DATA_DIR, absolute. */
  dataDir: string;
}

export interface MetricsConfig {
  /** PROMETHEUS_LISTEN; undefined means metrics are served by the web listener. */
  listen?: ListenAddress;
  /** PROMETHEUS_PATH, starts with '/'. */
  path: string;
}

export interface WebConfig {
  listen: ListenAddress;
  metrics: MetricsConfig;
  /** CIDRs and IPs whose X-Forwarded-For / X-Real-IP headers are believed (upstream §4.5). */
  trustedProxies: string[];
}

export interface SmppConfig {
  listen: ListenAddress;
  retries: number;
  /** Response timeout for PDUs the gateway sends (enquire_link, deliver_sm). */
  timeoutMs: number;
  /** HAPROXY_PROXY_PROTOCOL: expect a PROXY header on every connection. */
  proxyProtocol: boolean;
}

export interface Mm4Config {
  listen: ListenAddress;
  retries: number;
  timeoutMs: number;
  /** Value of X-Mms-Originator-System on outbound MM4. */
  originatorSystem: string;
  /** Host part of outbound X-Mms-Message-Id: <id@host>. */
  msgIdHost: string;
  proxyProtocol: boolean;
}

export interface WebhookConfig {
  retries: number;
  /** Per-request timeout unless a client's settings give their own. */
  timeoutMs: number;
  retryDelayMs: number;
}

/** Sends to carriers (CARRIER_*): retries after the first try, per-call timeout, first retry delay. */
export interface CarrierEgressConfig {
  retries: number;
  timeoutMs: number;
  retryDelayMs: number;
}

/** PostgreSQL (when any POSTGRES_* or DATABASE_URL is set) or embedded PGlite. */
export type StoreConfig =
  | { driver: 'pg'; url: string; /** IANA zone for the session (POSTGRES_TIMEZONE). */ timezone: string }
  | { driver: 'pglite'; dataDir: string };

export type BusConfig =
  | { kind: 'nats'; servers: string[]; subjectPrefix: string }
  | { kind: 'memory'; subjectPrefix: string };

export type QuotaConfig = { kind: 'redis'; url: string } | { kind: 'memory' };

export interface SecretsConfig {
  encryptionKey: string;
  /** Admin password for Basic auth on admin routes. */
  apiKey: string;
  /** True only on the start that generated the key, so cmd prints it once. */
  apiKeyGenerated: boolean;
  encryptionKeyGenerated: boolean;
  /** Where generated keys are kept (embedded mode); undefined when both came from the environment. */
  secretsFile?: string;
}

export const LogLevel = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'fatal',
  SILENT: 'silent',
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

export interface LogConfig {
  level: LogLevel;
}

export interface MediaConfig {
  /** Scratch directory for ffmpeg, absolute. */
  transcodeTempPath: string;
}

export interface AutoReplyConfig {
  /** Global switch; numbers still opt in one by one (upstream §13.5). */
  enabled: boolean;
  /** Body used when a number enables auto-reply without its own message. */
  defaultMessage: string;
}

export interface Config {
  node: NodeConfig;
  web: WebConfig;
  smpp: SmppConfig;
  mm4: Mm4Config;
  webhook: WebhookConfig;
  carrier: CarrierEgressConfig;
  /** NOTIFY_SENDER_ON_FAILURE: tell the sender when delivery finally fails. */
  notifySenderOnFailure: boolean;
  store: StoreConfig;
  bus: BusConfig;
  quota: QuotaConfig;
  secrets: SecretsConfig;
  log: LogConfig;
  media: MediaConfig;
  autoReply: AutoReplyConfig;
  /** True when any shared service (PostgreSQL, NATS, Redis) is configured. */
  cluster: boolean;
  /** Problems that do not stop the node, for cmd to log at start-up. */
  warnings: string[];
}

/** The environment as loadConfig reads it: process.env or a plain record in tests. */
export type Env = NodeJS.ProcessEnv | Record<string, string | undefined>;

export interface LoadConfigOptions {
  /** Directory holding the optional `.env` and against which relative paths resolve. Default: process.cwd(). */
  cwd?: string;
}
