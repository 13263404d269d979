import type { ColumnType, Generated } from 'kysely';

/**
 * Table types as Kysely sees them through CamelCasePlugin (columns are snake_case in SQL).
 * Table and column names keep gomsggw's where they exist, so Grafana dashboards written
 * against msg_record_db_items keep working (upstream-behaviour.md §16.4).
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Id = Generated<number>;
type Def<T> = ColumnType<T, T | undefined, T>;

export interface LimitsTable {
  smsBurstLimit: Def<number>;
  smsDailyLimit: Def<number>;
  smsMonthlyLimit: Def<number>;
  mmsBurstLimit: Def<number>;
  mmsDailyLimit: Def<number>;
  mmsMonthlyLimit: Def<number>;
  limitBoth: Def<boolean>;
}

export interface ClientsTable {
  id: Id;
  username: string;
  password: string;
  address: Def<string>;
  name: Def<string>;
  type: Def<string>;
  timezone: Def<string>;
  logPrivacy: Def<boolean>;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface ClientSettingsTable extends LimitsTable {
  id: Id;
  clientId: number;
  authMethod: Def<string | null>;
  apiFormat: Def<string>;
  disableMessageSplitting: Def<boolean>;
  splitMethod: Def<string>;
  webhookRetries: Def<number>;
  webhookTimeoutSecs: Def<number>;
  includeRawSegments: Def<boolean>;
  defaultWebhook: Def<string>;
  webhookSecret: Def<string>;
  maxBinds: Def<number>;
  maxTps: Def<number>;
  mm4Port: Def<number>;
}

export interface ClientNumbersTable {
  id: Id;
  clientId: number;
  number: string;
  carrier: Def<string>;
  tag: Def<string>;
  group: Def<string>;
  webHook: Def<string>;
  ignoreStopCmdSending: Def<boolean>;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface NumberSettingsTable extends LimitsTable {
  id: Id;
  numberId: number;
  autoReplyEnabled: Def<boolean>;
  autoReplyMessage: Def<string>;
  autoReplyCooldownSecs: Def<number>;
}

export interface ClientFailoversTable {
  id: Id;
  primaryClientId: number;
  fallbackClientId: number;
  priority: Def<number>;
  enabled: Def<boolean>;
}

export interface CarriersTable {
  id: Id;
  name: string;
  type: string;
  username: Def<string>;
  password: Def<string>;
  uuid: string;
  profileId: Def<string>;
  apiBaseUrl: Def<string>;
  verifyWebhooks: Def<boolean>;
  publicKey: Def<string>;
  maxRps: Def<number>;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface MediaFilesTable {
  id: Generated<string>;
  accessToken: string;
  fileName: Def<string>;
  contentType: Def<string>;
  data: Uint8Array;
  sizeBytes: Def<number>;
  uploadAt: Timestamp;
  expiresAt: Date | string;
}

export interface MsgRecordsTable {
  id: Generated<string>;
  messageId: Def<string>;
  clientId: number;
  to: Def<string>;
  from: Def<string>;
  receivedTimestamp: Timestamp;
  type: Def<string>;
  carrier: Def<string>;
  internal: Def<boolean>;
  logId: Def<string>;
  serverId: Def<string>;
  direction: Def<string>;
  fromClientType: Def<string>;
  toClientType: Def<string>;
  deliveryMethod: Def<string>;
  sourceIp: Def<string>;
  encoding: Def<string>;
  totalSegments: Def<number>;
  originalBytesLength: Def<number>;
  originalSizeBytes: Def<number>;
  transcodedSizeBytes: Def<number>;
  mediaCount: Def<number>;
  transcodingPerformed: Def<boolean>;
  status: Def<string>;
  carrierMsgId: Def<string>;
  carrierId: Def<number>;
  textPreview: Def<string>;
  error: Def<string>;
  registeredDelivery: Def<number>;
  /** Comma-separated message ids (ours never contain a comma). */
  smppPartIds: Def<string>;
  updatedAt: Timestamp;
}

export interface TenantApiKeysTable {
  id: Id;
  clientId: number;
  name: Def<string>;
  keyHash: string;
  keyPrefix: string;
  scopes: Def<string>;
  rateLimit: Def<number>;
  active: Def<boolean>;
  expiresAt: Def<Date | string | null>;
  lastUsedAt: Def<Date | string | null>;
  createdAt: Timestamp;
}

export interface ApiKeyNumbersTable {
  id: Id;
  apiKeyId: number;
  numberId: number;
  number: string;
}

export interface BatchJobsTable {
  id: string;
  clientId: number;
  apiKeyId: Def<number | null>;
  status: Def<string>;
  totalCount: Def<number>;
  sentCount: Def<number>;
  failedCount: Def<number>;
  queuedCount: Def<number>;
  fromNumber: Def<string>;
  errors: Def<string>;
  webhookUrl: Def<string>;
  throttleRps: Def<number>;
  maxRetryMins: Def<number>;
  textTemplate: Def<string>;
  retryUntil: Def<Date | string | null>;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  completedAt: Def<Date | string | null>;
}

export interface BatchMessageItemsTable {
  id: string;
  batchJobId: string;
  index: number;
  to: string;
  text: Def<string>;
  status: Def<string>;
  error: Def<string>;
  errorCode: Def<number>;
  queuedAt: Def<Date | string | null>;
  sentAt: Def<Date | string | null>;
  createdAt: Timestamp;
  variables: Def<string>;
  attempts: Def<number>;
}

export interface GatewayMetaTable {
  key: string;
  value: string;
}

export interface Database {
  clients: ClientsTable;
  clientSettings: ClientSettingsTable;
  clientNumbers: ClientNumbersTable;
  numberSettings: NumberSettingsTable;
  clientFailovers: ClientFailoversTable;
  carriers: CarriersTable;
  mediaFiles: MediaFilesTable;
  msgRecordDbItems: MsgRecordsTable;
  tenantApiKeys: TenantApiKeysTable;
  apiKeyNumbers: ApiKeyNumbersTable;
  batchJobs: BatchJobsTable;
  batchMessageItems: BatchMessageItemsTable;
  gatewayMeta: GatewayMetaTable;
}
