import type { Message } from '../../proto/message.js';
import type { IngressKind, Subjects } from '../../proto/subjects.js';
import type { DeliveryStatus } from '../../proto/status.js';
import type { DeadLetterStore, DurableBus } from '../bus/index.js';
import type { ConfigChanges, Directory } from '../directory/index.js';
import type { LoginLimiter } from '../lockout/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { QuotaUsage } from '../quota/index.js';
import type { Carrier, Store, TenantApiKey } from '../store/index.js';
import type { BatchService } from '../batch/index.js';

export type { Logger };

/** The part of the bus the web entry point uses: acknowledged, deduplicated publishes. */
export type IngressBus = Pick<DurableBus, 'publishDurable'>;

/**
 * Stores a message durably; rejects when it was not stored (nothing was accepted), or with
 * OutcomeUnknownError when it may have been. `dedupKey` (default: the message id) makes a
 * retried ingress enter once; `repeatable` says the caller may send that key again later
 * (IngressRouter.accept).
 */
export type MessageIngress = (kind: IngressKind, message: Message, dedupKey?: string, repeatable?: boolean) => Promise<void>;

/**
 * The media store as the web entry point uses it (internal/media MediaStore): inline media of
 * REST sends are put, /media/{token} is served with get.
 */
export interface MediaSink {
  /** Rejects with PayloadTooLargeError past the store's maximum. */
  put(input: { bytes: Buffer; contentType: string; filename?: string }): Promise<{
    token: string;
    url: string;
    contentType: string;
    filename: string;
    sizeBytes: number;
  }>;
  /** undefined when unknown or expired. */
  get(token: string): Promise<{ bytes: Buffer; contentType: string; filename: string; expiresAt: Date } | undefined>;
  /** The largest file put() accepts (MEDIA_MAX_BYTES), which sizes the REST body limit. */
  readonly maxBytes: number;
}

/** HTTP request headers as Node gives them (lowercase names). */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** A carrier webhook as it arrived, for the signature check. */
export interface WebhookVerifyRequest {
  headers: HeaderMap;
  /** The body exactly as received (signatures cover the bytes, never a re-serialisation). */
  rawBody: Buffer;
  /** The PUBLIC URL the carrier called: SERVER_ADDRESS + path + query. */
  url: string;
  /** When the request arrived, ms since the epoch (timestamp tolerance). */
  receivedAtMs?: number;
}

/** A carrier webhook to parse. */
export interface WebhookParseRequest {
  headers: HeaderMap;
  rawBody: Buffer;
  contentType: string;
  /** The gateway message id of a status-callback path (`/inbound/{uuid}/status/{messageId}`). */
  messageId?: string;
}

/** What one carrier webhook carried (the shapes of internal/carriers `InboundResult`). */
export interface WebhookResult {
  messages: Array<{
    from: string;
    to: string;
    text: string;
    media: Array<{ url: string; contentType: string }>;
    carrierMsgId?: string;
  }>;
  statuses: Array<{
    carrierMsgId: string;
    status: DeliveryStatus;
    messageId?: string;
    errorCode?: string;
    errorText?: string;
    carrierStatus?: string;
  }>;
  /** What to answer the carrier once everything above is stored (e.g. Twilio's empty TwiML). */
  response: { status: number; contentType: string; body: string };
}

/**
 * Signature check and parsing of carrier webhooks, per carrier row. The web room never imports
 * internal/carriers (entry points do not depend on carriers): cmd wires this to the carrier
 * registry, e.g. `findDriver(carrier.type)?.verify(req, carrier) ?? false`.
 */
export interface CarrierWebhooks {
  /** True when the webhook is authentic, or the row takes webhooks unsigned (unsignedWebhooksWarning). Never throws. */
  verify(req: WebhookVerifyRequest, carrier: Carrier): boolean;
  /** Messages and statuses of the webhook, and the answer to give. Never throws. */
  parse(req: WebhookParseRequest, carrier: Carrier): WebhookResult;
}

/**
 * Per-API-key request limit (upstream §4.4), applied to every /messages* request made with a
 * key. Rejects with QuotaExceededError (429) when the key is over its `rateLimit`. cmd wires
 * the quota room's cluster-wide limiter (internal/quota createApiKeyLimit); without one no key
 * is limited.
 */
export type ApiKeyRateLimit = (key: TenantApiKey) => Promise<void>;

/** The node's failed-login limiter (internal/lockout), shared with the SMPP binds. */
export interface WebLogins {
  limiter: LoginLimiter;
  /** Every failed login is answered this long after it arrived (LOGIN_FAILURE_DELAY_MS). */
  failureDelayMs: number;
}

/**
 * Where legacy clients are bound over SMPP, on every node of the cluster (cmd wires the SMPP
 * server's session registry): drives smpp-status and `fallback_online`.
 */
export interface SmppPresence {
  /** The client's binds (empty when it has none); rejects with UnavailableError when unreadable. */
  binds(clientId: number): Promise<ReadonlyArray<SmppBindView>>;
}

/** One SMPP bind as the admin API sees it. */
export interface SmppBindView {
  /** server_id of the node holding the session. */
  node: string;
  /** The ESME's IP. */
  ip: string;
}

/** The node's metrics, as the web listener uses them. */
export interface WebMetrics {
  /** Counts and times every request (route label = the route pattern, never the raw path). */
  metrics: Metrics;
  /** PROMETHEUS_PATH: the web listener serves it to the admin only; unset serves none. */
  path?: string;
}

/** AUTO_REPLY_ENABLED and AUTO_REPLY_DEFAULT_MESSAGE (upstream §2.5), for the auto-reply view. */
export interface AutoReplyDefaults {
  /** The master switch: no number auto-replies while it is off. */
  enabled: boolean;
  /** Body used when a number enables auto-reply without its own message. */
  defaultMessage: string;
}

/** Everything the web app is built from; createApp reads nothing else. */
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
  /** Where accepted messages and carrier statuses are stored before anyone is answered. */
  bus: IngressBus;
  /** The node's subject names (proto/subjects.ts, with the cluster's prefix). */
  subjects: Subjects;
  /** Stores an accepted message: the router's IngressRouter, which routes it on the spot. */
  ingress: MessageIngress;
  /** Verifies and parses carrier webhooks (/inbound/{uuid}). */
  carrierWebhooks: CarrierWebhooks;
  /**
   * TRUSTED_PROXIES (IPs and CIDRs): from these peers X-Forwarded-For / X-Real-IP name the
   * client (upstream §4.5). Default: none, the socket peer is the client.
   */
  trustedProxies?: string[];
  /** Longest text accepted by POST /messages, in characters. Default DEFAULT_MAX_TEXT_CHARS. */
  maxTextChars?: number;
  /**
   * The media store: inline (base64) media on REST sends, and GET /media/{token}. Without it
   * inline media are refused (400) and /media answers 404.
   */
  media?: MediaSink;
  /** Hook for per-API-key rate limits (upstream §4.4); none applied when absent. */
  apiKeyRateLimit?: ApiKeyRateLimit;
  /** The quota counters GET /messages/usage reads; without them that route answers 503. */
  usage?: QuotaUsage;
  /**
   * Failed client password logins and admin-key attempts, counted per source (cmd wires the
   * node's limiter); without it nothing is counted or delayed.
   */
  logins?: WebLogins;
  /** Who is bound over SMPP across the cluster; without it every client reads offline. */
  smppPresence?: SmppPresence;
  /** The /messages/batch routes' service (internal/batch); without it they answer 503. */
  batches?: BatchService;
  /** The dead-letter stream the /dead-letters admin routes manage; without it they answer 503. */
  deadLetters?: Pick<DeadLetterStore, 'list' | 'get' | 'replay' | 'delete'>;
}
