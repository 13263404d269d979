/**
 * The importer's contract: rows as a gomsggw database holds them (upstream-behaviour.md §3), read
 * by a `GomsggwSource`, and the report of what an import did or would do.
 */

export interface GomsggwCarrier {
  id: number;
  name: string;
  type: string;
  username: string;
  /** AES-256-CFB, as gomsggw wrote it. */
  password: string;
  uuid: string;
  profileId: string;
}

/** Usage limits, as both client and number settings hold them. */
export interface GomsggwLimits {
  smsBurstLimit: number;
  smsDailyLimit: number;
  smsMonthlyLimit: number;
  mmsBurstLimit: number;
  mmsDailyLimit: number;
  mmsMonthlyLimit: number;
  limitBoth: boolean;
}

export interface GomsggwClientSettings extends GomsggwLimits {
  authMethod: string;
  apiFormat: string;
  webhookRetries: number;
  webhookTimeoutSecs: number;
  includeRawSegments: boolean;
  defaultWebhook: string;
}

export interface GomsggwClient {
  id: number;
  username: string;
  /** AES-256-CFB, as gomsggw wrote it. */
  password: string;
  address: string;
  name: string;
  type: string;
  timezone: string;
  logPrivacy: boolean;
  settings: GomsggwClientSettings | null;
}

export interface GomsggwNumberSettings extends GomsggwLimits {
  autoReplyEnabled: boolean;
  autoReplyMessage: string;
  autoReplyCooldownSecs: number;
}

export interface GomsggwNumber {
  id: number;
  clientId: number;
  /** Digits only, as gomsggw stored it. */
  number: string;
  carrier: string;
  tag: string;
  group: string;
  webhook: string;
  ignoreStopCmdSending: boolean;
  settings: GomsggwNumberSettings | null;
}

export interface GomsggwFailover {
  id: number;
  primaryClientId: number;
  fallbackClientId: number;
  priority: number;
  enabled: boolean;
}

export interface GomsggwApiKey {
  id: number;
  clientId: number;
  name: string;
  keyHash: string;
  keyPrefix: string;
  scopes: string;
  rateLimit: number;
  active: boolean;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  /** Ids of gomsggw client_numbers rows (api_key_numbers.number_id). */
  numberIds: number[];
}

export interface GomsggwMediaFile {
  id: number;
  token: string;
  fileName: string;
  contentType: string;
  base64Data: string;
  uploadAt: Date;
  expiresAt: Date;
}

/** Reads a gomsggw database. A table the database lacks (an older gomsggw) reads as empty. */
export interface GomsggwSource {
  carriers(): Promise<GomsggwCarrier[]>;
  clients(): Promise<GomsggwClient[]>;
  numbers(): Promise<GomsggwNumber[]>;
  failovers(): Promise<GomsggwFailover[]>;
  apiKeys(): Promise<GomsggwApiKey[]>;
  /** Read page by page: the rows hold whole files. */
  media(): AsyncIterable<GomsggwMediaFile>;
  close(): Promise<void>;
}

export const ImportKind = {
  CARRIER: 'carrier',
  CLIENT: 'client',
  NUMBER: 'number',
  FAILOVER: 'failover',
  API_KEY: 'api_key',
  MEDIA: 'media',
} as const;
export type ImportKind = (typeof ImportKind)[keyof typeof ImportKind];

export const ImportAction = { CREATE: 'create', UPDATE: 'update', UNCHANGED: 'unchanged', SKIP: 'skip' } as const;
export type ImportAction = (typeof ImportAction)[keyof typeof ImportAction];

/** One gomsggw row and what happened to it; `detail` is the reason of a skip or the fields updated. */
export interface ImportEvent {
  kind: ImportKind;
  action: ImportAction;
  /** The row's natural key: carrier name, client username, number, "primary -> fallback", key prefix, token. */
  key: string;
  detail: string;
}

export interface ImportOptions {
  /** gomsggw's ENCRYPTION_KEY: decrypts the old passwords. */
  encryptionKey: string;
  /** Decide and report, write nothing. */
  dryRun: boolean;
  /** Media files expired at this time are not brought over. */
  now: Date;
  /** Called after each row with the rows of its kind done so far and their total (unknown for media, read page by page). */
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  kind: ImportKind;
  done: number;
  total?: number;
}

export interface ImportReport {
  dryRun: boolean;
  events: ImportEvent[];
}
