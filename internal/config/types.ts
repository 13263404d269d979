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
  /** SHUTDOWN_TIMEOUT_SECS and the drains derived from it. */
  shutdown: ShutdownConfig;
}

/**
 * How long a node may take to stop after SIGTERM, and the component drains that fit in it. Set
 * it below the orchestrator's grace (Kubernetes terminationGracePeriodSeconds minus the preStop
 * sleep; docker's stop timeout): past it the orchestrator kills the node mid-drain.
 */
export interface ShutdownConfig {
  /** SHUTDOWN_TIMEOUT_SECS: from SIGTERM to exit; past it the node stops waiting and exits non-zero. */
  timeoutMs: number;
  /** Grace for bound SMPP sessions to finish their in-flight PDUs before the unbind. */
  smppUnbindMs: number;
  /** How long each bus drain step waits for running handlers. */
  busDrainMs: number;
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
  /** WEB_MAX_CONNECTIONS: open HTTP connections on the node (0 = no limit). */
  maxConnections: number;
  /** WEB_MAX_CONNECTIONS_PER_IP: open HTTP connections from one peer IP, TRUSTED_PROXIES exempt (0 = no limit). */
  maxConnectionsPerIp: number;
}

export interface SmppTlsConfig {
  /** SMPP_TLS_LISTEN: a second listener speaking SMPP over TLS. */
  listen: ListenAddress;
  /** SMPP_TLS_CERT / SMPP_TLS_KEY: PEM files, read when the listener starts. */
  certFile: string;
  keyFile: string;
}

export interface SmppConfig {
  listen: ListenAddress;
  retries: number;
  /** Response timeout for PDUs the gateway sends (enquire_link, deliver_sm). */
  timeoutMs: number;
  /** HAPROXY_PROXY_PROTOCOL: expect a PROXY header on every connection. */
  proxyProtocol: boolean;
  /** TRUSTED_PROXIES: the only peers whose PROXY header is believed; any other is closed. */
  trustedProxies: string[];
  /** SMPP_WINDOW: deliver_sm in flight per session, waiting for their deliver_sm_resp. */
  windowSize: number;
  /** SMPP_ENQUIRE_LINK_SECS: idle time before the gateway sends enquire_link (0 = never). */
  enquireLinkIntervalMs: number;
  /** SMPP_INACTIVITY_SECS: a session that sends nothing for this long is closed (0 = never). */
  inactivityTimeoutMs: number;
  /** Set when SMPP_TLS_LISTEN is. */
  tls?: SmppTlsConfig;
  /** SMPP_REASSEMBLY_TTL_SECS: how long parts of a concatenated submit wait for the rest. */
  reassemblyTtlMs: number;
  /** SMPP_REASSEMBLY_MAX_SETS / SMPP_REASSEMBLY_MAX_BYTES: incomplete sets and their part bytes per client. */
  reassemblyLimits: { maxOpenSetsPerClient: number; maxOpenBytesPerClient: number };
  /** SMPP_QUEUE_MAX_AGE_SECS: how long messages wait for a client with no bind. */
  queueMaxAgeMs: number;
  /** SMPP_MAX_DELIVER: deliveries of an SMPP job (waits included) before it is dead-lettered. */
  maxDeliver: number;
  /** SMPP_FAILOVER_GRACE_SECS: how long a client has no receiving bind before its queue moves to its failover. */
  failoverGraceMs: number;
  /** SMPP_BIND_TIMEOUT_SECS: a connection not bound by then is closed (its bind in hand or not). */
  bindTimeoutMs: number;
  /** SMPP_MAX_CONNECTIONS: open SMPP connections on the node, plain and TLS (0 = no limit). */
  maxConnections: number;
  /** SMPP_MAX_CONNECTIONS_PER_IP: open SMPP connections from one client IP (0 = no limit). */
  maxConnectionsPerIp: number;
}

/**
 * Failed logins (SMPP binds, REST client logins, the admin key) counted per source across the
 * cluster (internal/lockout). A limit of 0 turns that count off.
 */
export interface LockoutConfig {
  /** LOGIN_FAILURE_WINDOW_SECS: a count lapses this long after its first failure. */
  windowMs: number;
  /** LOGIN_FAILURES_PER_IP. */
  perIp: number;
  /** LOGIN_FAILURES_PER_NETWORK: per IPv4 /24 or IPv6 /64. */
  perNetwork: number;
  /** LOGIN_FAILURES_PER_USER: per username, from sources it never logged in from. */
  perUser: number;
  /** LOGIN_FAILURE_DELAY_MS: every failed login is answered this long after it arrived. */
  failureDelayMs: number;
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
  /** TRUSTED_PROXIES: the only peers whose PROXY header is believed; any other is closed. */
  trustedProxies: string[];
  /** MM4_MAX_MESSAGE_BYTES: largest inbound SMTP DATA, counted while it arrives. */
  maxMessageBytes: number;
  /** MM4_MAX_CONNECTIONS: open SMTP connections on the node (0 = no limit). */
  maxConnections: number;
  /** MM4_MAX_CONNECTIONS_PER_IP: open SMTP connections from one peer IP (0 = no limit). */
  maxConnectionsPerIp: number;
  /** MM4_SOCKET_TIMEOUT_SECS: an SMTP peer silent this long is disconnected. */
  socketTimeoutMs: number;
}

export interface WebhookConfig {
  retries: number;
  /** Per-request timeout unless a client's settings give their own. */
  timeoutMs: number;
  retryDelayMs: number;
  /**
   * WEBHOOK_MEDIA_BASE64_MAX_BYTES: media bytes of one message inlined as base64 in a generic
   * webhook; parts past it go as their URL only. 0 inlines none.
   */
  mediaBase64MaxBytes: number;
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
  | { driver: 'pglite'; dataDir: string; /** PGLITE_SHARED_BUFFERS_MB; unset = the store's default. */ sharedBuffersMb?: number };

export type BusConfig = { kind: 'nats'; servers: string[]; subjectPrefix: string } | { kind: 'memory'; subjectPrefix: string };

/** BUS_MAX_DELIVER, STREAM_MAX_AGE_HOURS, DEAD_LETTER_MAX_AGE_HOURS, DEAD_LETTER_MAX_MB. */
export interface DurableConfig {
  /** Deliveries of a message before it is dead-lettered (stages add their own retries when larger). */
  maxDeliver: number;
  /** Backstop age of the stages without a client queue. */
  stageMaxAgeMs: number;
  deadLetterMaxAgeMs: number;
  deadLetterMaxBytes: number;
}

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
  /** MEDIA_TTL_DAYS: how long a stored media file is served (/media/{token}). */
  ttlMs: number;
  /** MEDIA_MAX_BYTES: largest media file accepted (413 / SMTP 552 beyond it). */
  maxMediaBytes: number;
  /** MEDIA_CLEANUP_INTERVAL_SECS: how often the leader deletes expired files. */
  cleanupIntervalMs: number;
  /** MEDIA_FETCH_TIMEOUT_SECS: per download of a carrier's or client's media URL. */
  fetchTimeoutMs: number;
  /**
   * MEDIA_FETCH_ALLOW: IPs and CIDRs that media URLs may reach although they are not public
   * (loopback, private, link-local…). Default none: a client's URL cannot reach the gateway's own
   * network (internal/media/url-guard.ts).
   */
  fetchAllow: string[];
  /** TRANSCODE_CONCURRENCY: transcode jobs at once per node. */
  transcodeConcurrency: number;
  /** TRANSCODE_TIMEOUT_SECS: longest one message's media may take to transcode. */
  transcodeTimeoutMs: number;
  /**
   * MEDIA_CARRIER_LIMITS: MMS size limit (bytes, all parts together) by carrier name or type,
   * e.g. `telnyx=1048576,my-twilio=5242880,default=614400`; unnamed types use built-in defaults.
   */
  carrierLimits: Record<string, number>;
}

export interface AutoReplyConfig {
  /** Global switch; numbers still opt in one by one (upstream §13.5). */
  enabled: boolean;
  /** Body used when a number enables auto-reply without its own message. */
  defaultMessage: string;
}

/** When a node's carrier and webhook sends yield to its ingress (internal/egress/ingress-first.ts). */
export interface IngressFirstConfig {
  /** Ingress messages in flight at which sends yield; 0: never. */
  busyAt: number;
  /** ...until they fall to this many (a quarter of busyAt). */
  idleAt: number;
  /** Sends that still run at once while yielding. */
  floor: number;
}

/** Batch sending (internal/batch). */
export interface BatchConfig {
  /** BATCH_MAX_MESSAGES: most recipients in one batch. */
  maxMessages: number;
  /** BATCH_LEASE_SECS: a batch whose worker is silent this long goes to another node. */
  leaseMs: number;
  /** BATCH_CONCURRENCY: batches one node sends at once. */
  concurrency: number;
}

export interface Config {
  node: NodeConfig;
  web: WebConfig;
  smpp: SmppConfig;
  lockout: LockoutConfig;
  mm4: Mm4Config;
  webhook: WebhookConfig;
  carrier: CarrierEgressConfig;
  /** NOTIFY_SENDER_ON_FAILURE: tell the sender when delivery finally fails. */
  notifySenderOnFailure: boolean;
  /** INGRESS_DEDUP_HOURS in ms (internal/router/ingress-memory.ts); 0: off. */
  ingressDedupMs: number;
  /** INGRESS_FIRST_AT / INGRESS_FIRST_FLOOR (internal/egress/ingress-first.ts). */
  ingressFirst: IngressFirstConfig;
  store: StoreConfig;
  bus: BusConfig;
  durable: DurableConfig;
  quota: QuotaConfig;
  secrets: SecretsConfig;
  log: LogConfig;
  media: MediaConfig;
  autoReply: AutoReplyConfig;
  batch: BatchConfig;
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
