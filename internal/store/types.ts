/**
 * The store's contract: configuration and records in PostgreSQL (pg) or PGlite (embedded default).
 * Business code sees these repositories only, never a Kysely or pg handle. Passwords cross this
 * boundary in plaintext; the store encrypts them at rest (internal/crypto) and decrypts on read.
 */

export const ClientType = { LEGACY: 'legacy', WEB: 'web' } as const;
export type ClientType = (typeof ClientType)[keyof typeof ClientType];

export const ApiFormat = { GENERIC: 'generic', BICOM: 'bicom', TELNYX: 'telnyx' } as const;
export type ApiFormat = (typeof ApiFormat)[keyof typeof ApiFormat];

export const AuthMethod = { BASIC: 'basic', BEARER: 'bearer' } as const;
export type AuthMethod = (typeof AuthMethod)[keyof typeof AuthMethod];

/**
 * How a long text goes to a legacy client as deliver_sm: parts behind a concatenation UDH,
 * parts with SAR TLVs, one deliver_sm with message_payload, or plain parts with no
 * concatenation header at all (gomsggw's way, which Zultys MX relies on).
 */
export const SplitMethod = { UDH: 'udh', SAR: 'sar', PAYLOAD: 'payload', NONE: 'none' } as const;
export type SplitMethod = (typeof SplitMethod)[keyof typeof SplitMethod];

/** A client created by msggw: the concatenation every handset and Kannel joins. */
export const NEW_CLIENT_SPLIT_METHOD: SplitMethod = SplitMethod.UDH;
/**
 * A client whose settings msggw did not write (taken over from gomsggw, or with no settings row):
 * gomsggw's plain parts (upstream §8.6). Also the column's default, so an importer gets it.
 */
export const GOMSGGW_SPLIT_METHOD: SplitMethod = SplitMethod.NONE;

export interface Client {
  id: number;
  username: string;
  /** Plaintext; encrypted at rest. */
  password: string;
  /** Legacy clients: IP allow-list (single IP, comma list or CIDR) and MM4 host. */
  address: string;
  name: string;
  type: ClientType;
  /** IANA zone for quota periods. */
  timezone: string;
  logPrivacy: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Usage limits shared by client and number settings (0 = unlimited / inherit). */
export interface Limits {
  smsBurstLimit: number;
  smsDailyLimit: number;
  smsMonthlyLimit: number;
  mmsBurstLimit: number;
  mmsDailyLimit: number;
  mmsMonthlyLimit: number;
  limitBoth: boolean;
}

export interface ClientSettings extends Limits {
  id: number;
  clientId: number;
  /** null: both Basic and Bearer are accepted. */
  authMethod: AuthMethod | null;
  apiFormat: ApiFormat;
  /**
   * Always `splitMethod === 'payload'`: the older switch, kept as an alias. Patching it true sets
   * 'payload'; false turns 'payload' back into 'udh' and leaves any other method alone.
   */
  disableMessageSplitting: boolean;
  /** How long texts are cut for deliver_sm. */
  splitMethod: SplitMethod;
  webhookRetries: number;
  webhookTimeoutSecs: number;
  includeRawSegments: boolean;
  defaultWebhook: string;
  /** Secret for the X-Msggw-Signature HMAC on outbound webhooks; generated on creation. */
  webhookSecret: string;
  /** SMPP: binds allowed at once across the cluster (0 = unlimited). */
  maxBinds: number;
  /** SMPP: submit_sm per second across the client's binds (0 = unlimited). */
  maxTps: number;
  /** MM4 outbound SMTP port on the client's address. */
  mm4Port: number;
}

export interface NumberSettings extends Limits {
  id: number;
  numberId: number;
  autoReplyEnabled: boolean;
  autoReplyMessage: string;
  autoReplyCooldownSecs: number;
}

export interface ClientNumber {
  id: number;
  clientId: number;
  /** Canonical E.164 with a leading '+'. Unique across the gateway. */
  number: string;
  /** Name of the carrier used for outbound from this number. */
  carrier: string;
  tag: string;
  group: string;
  webhook: string;
  ignoreStopCmdSending: boolean;
  settings: NumberSettings | null;
}

export interface ClientFailover {
  id: number;
  primaryClientId: number;
  fallbackClientId: number;
  priority: number;
  enabled: boolean;
}

/** A client with everything that hangs off it, as caches and admin listings need it. */
export interface ClientDetails extends Client {
  settings: ClientSettings | null;
  numbers: ClientNumber[];
  failovers: ClientFailover[];
}

export interface Carrier {
  id: number;
  /** Routing key: numbers name their carrier by this. Unique. */
  name: string;
  /** One of CARRIER_TYPES (internal/carriers). */
  type: string;
  username: string;
  /** Plaintext; encrypted at rest. Twilio auth token, Telnyx API key, OneVoicePlus developer key. */
  password: string;
  /** 24 lowercase hex chars; inbound webhooks arrive at /inbound/{uuid}. */
  uuid: string;
  profileId: string;
  /** Overrides the carrier's API base (sandbox or test server); '' = the real API. */
  apiBaseUrl: string;
  /** Check inbound webhook signatures (Twilio HMAC, Telnyx Ed25519). */
  verifyWebhooks: boolean;
  /** Telnyx: base64 Ed25519 public key for webhook signatures. */
  publicKey: string;
  /** Egress send-rate cap, messages/s (0 = the carrier's default). */
  maxRps: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ApiKeyNumber {
  id: number;
  apiKeyId: number;
  numberId: number;
  number: string;
}

export interface TenantApiKey {
  id: number;
  clientId: number;
  name: string;
  /** SHA-256 hex of the raw key. Never leaves the server. */
  keyHash: string;
  keyPrefix: string;
  scopes: string;
  rateLimit: number;
  active: boolean;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
  allowedNumbers: ApiKeyNumber[];
}

export type RecordStatus = 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'expired' | 'rejected' | 'unknown';
export type RecordDirection = 'inbound' | 'outbound';

/**
 * One leg of a message in the ledger (msg_record_db_items, gomsggw's column names), keyed by
 * (messageId, clientId, direction).
 */
export interface MessageRecord {
  messageId: string;
  clientId: number;
  direction: RecordDirection;
  to: string;
  from: string;
  receivedTimestamp: Date;
  type: 'sms' | 'mms';
  carrier: string;
  carrierId: number;
  internal: boolean;
  logId: string;
  serverId: string;
  fromClientType: string;
  toClientType: string;
  deliveryMethod: string;
  sourceIp: string;
  encoding: string;
  totalSegments: number;
  originalBytesLength: number;
  originalSizeBytes: number;
  transcodedSizeBytes: number;
  mediaCount: number;
  transcodingPerformed: boolean;
  status: RecordStatus;
  carrierMsgId: string;
  error: string;
  /** First 20 characters, for delivery receipts; '' when the client asked for log privacy. */
  textPreview: string;
  /** registered_delivery of an SMPP submit (0 when none), so a later status knows if a receipt is due. */
  registeredDelivery?: number;
  /** Message ids of a reassembled SMPP submit's parts, in order (each gets its own receipt). */
  smppPartIds?: string[];
}

export interface StoredRecord extends MessageRecord {
  id: number;
  updatedAt: Date;
  registeredDelivery: number;
  smppPartIds: string[];
}

export interface HistoryQuery {
  clientId: number;
  from?: string;
  to?: string;
  type?: 'sms' | 'mms';
  direction?: RecordDirection;
  since?: Date;
  until?: Date;
  page: number;
  perPage: number;
}

// ---- inputs ------------------------------------------------------------------------------------

export interface NewClient {
  username: string;
  password: string;
  address: string;
  name: string;
  type: ClientType;
  timezone: string;
  logPrivacy: boolean;
}
export type ClientPatch = Partial<Pick<Client, 'name' | 'address' | 'timezone' | 'logPrivacy'>>;
export type ClientSettingsPatch = Partial<Omit<ClientSettings, 'id' | 'clientId'>>;

export interface NewNumber {
  clientId: number;
  number: string;
  carrier: string;
  tag: string;
  group: string;
  webhook: string;
  ignoreStopCmdSending: boolean;
}
export type NumberPatch = Partial<Pick<ClientNumber, 'carrier' | 'tag' | 'group' | 'webhook' | 'ignoreStopCmdSending'>>;
export type NumberSettingsPatch = Partial<Omit<NumberSettings, 'id' | 'numberId'>>;
export interface NumberFilter {
  tag?: string;
  group?: string;
}

export type NewCarrier = Omit<Carrier, 'id' | 'createdAt' | 'updatedAt'>;
export type CarrierPatch = Partial<Omit<Carrier, 'id' | 'uuid' | 'createdAt' | 'updatedAt'>>;

export interface NewFailover {
  primaryClientId: number;
  fallbackClientId: number;
  priority: number;
}
export type FailoverPatch = Partial<Pick<ClientFailover, 'priority' | 'enabled'>>;

export interface NewApiKey {
  clientId: number;
  name: string;
  keyHash: string;
  keyPrefix: string;
  scopes: string;
  rateLimit: number;
  expiresAt: Date | null;
  /** Number ids of the client; the store copies their numbers. */
  allowedNumberIds: number[];
}

// ---- repositories ------------------------------------------------------------------------------
// Every method throws NotFoundError / ConflictError (internal/errors) for a missing parent or a
// duplicate unique value, and UnavailableError when the database cannot be reached.

export interface ClientRepo {
  list(): Promise<ClientDetails[]>;
  get(id: number): Promise<ClientDetails | undefined>;
  getByUsername(username: string): Promise<ClientDetails | undefined>;
  /** ConflictError on a duplicate username. Creates default settings (with a webhook secret). */
  create(input: NewClient): Promise<ClientDetails>;
  update(id: number, patch: ClientPatch): Promise<ClientDetails>;
  setPassword(id: number, password: string): Promise<void>;
  /** One transaction: numbers, their settings, client settings, failovers either way, API keys. */
  delete(id: number): Promise<boolean>;
  getSettings(clientId: number): Promise<ClientSettings | undefined>;
  upsertSettings(clientId: number, patch: ClientSettingsPatch): Promise<ClientSettings>;
}

export interface NumberRepo {
  listAll(): Promise<ClientNumber[]>;
  listByClient(clientId: number, filter?: NumberFilter): Promise<ClientNumber[]>;
  get(id: number): Promise<ClientNumber | undefined>;
  /** Exact lookup by canonical E.164. */
  getByNumber(e164: string): Promise<ClientNumber | undefined>;
  /** ConflictError when the number exists anywhere; NotFoundError for an unknown client. */
  create(input: NewNumber): Promise<ClientNumber>;
  update(id: number, patch: NumberPatch): Promise<ClientNumber>;
  delete(id: number): Promise<boolean>;
  getSettings(numberId: number): Promise<NumberSettings | undefined>;
  upsertSettings(numberId: number, patch: NumberSettingsPatch): Promise<NumberSettings>;
}

export interface CarrierRepo {
  list(): Promise<Carrier[]>;
  get(id: number): Promise<Carrier | undefined>;
  getByUuid(uuid: string): Promise<Carrier | undefined>;
  getByName(name: string): Promise<Carrier | undefined>;
  /** ConflictError on a duplicate name. */
  create(input: NewCarrier): Promise<Carrier>;
  update(id: number, patch: CarrierPatch): Promise<Carrier>;
  delete(id: number): Promise<boolean>;
}

export interface FailoverRepo {
  listByPrimary(clientId: number): Promise<ClientFailover[]>;
  get(id: number): Promise<ClientFailover | undefined>;
  /** ConflictError on a duplicate (primary, fallback) pair. */
  create(input: NewFailover): Promise<ClientFailover>;
  update(id: number, patch: FailoverPatch): Promise<ClientFailover>;
  delete(id: number): Promise<boolean>;
}

export interface ApiKeyRepo {
  create(input: NewApiKey): Promise<TenantApiKey>;
  listByClient(clientId: number): Promise<TenantApiKey[]>;
  /** Every key, revoked ones included (so a caller can be told its key was revoked). */
  listAll(): Promise<TenantApiKey[]>;
  getByHash(keyHash: string): Promise<TenantApiKey | undefined>;
  /** Sets active=false; false when no key of that id belongs to the client. */
  revoke(clientId: number, keyId: number): Promise<boolean>;
  touch(keyId: number, at: Date): Promise<void>;
}

/** What identifies a leg (the ledger's unique key): legs with the same key are one row. */
export function legKey(r: Pick<MessageRecord, 'messageId' | 'clientId' | 'direction'>): string {
  return `${r.messageId}\u0000${r.clientId}\u0000${r.direction}`;
}

export interface RecordRepo {
  /**
   * Inserts or updates legs in one statement (legs of the same key in one call are merged first). A leg's status never moves backwards (a late
   * 'sent' does not overwrite 'delivered'); empty carrierMsgId/error never erase stored ones.
   */
  upsertMany(records: MessageRecord[]): Promise<void>;
  /** Every leg of a message. */
  byMessageId(messageId: string): Promise<StoredRecord[]>;
  /** The outbound leg a carrier knows by its own id. */
  byCarrierMsgId(carrierId: number, carrierMsgId: string): Promise<StoredRecord | undefined>;
  /** GET /messages/history: newest first, with the total count. */
  history(query: HistoryQuery): Promise<{ records: StoredRecord[]; total: number }>;
}

/** A media file to keep (media_files). The media room makes the token and the expiry. */
export interface NewMediaFile {
  token: string;
  fileName: string;
  contentType: string;
  bytes: Buffer;
  uploadAt: Date;
  expiresAt: Date;
}

export type MediaFileRow = NewMediaFile;

/** Bytes of media by token (internal/media builds the MediaStore on this). */
export interface MediaFileRepo {
  /** ConflictError on a token that exists. */
  insert(file: NewMediaFile): Promise<void>;
  /** undefined when unknown, expired at `now`, or larger than `maxBytes` (bytes; no limit when omitted). */
  get(token: string, now: Date, maxBytes?: number): Promise<MediaFileRow | undefined>;
  /** Deletes up to `limit` files expired at `now`; returns how many. */
  deleteExpired(now: Date, limit: number): Promise<number>;
}

// ---- batches (upstream §3.11-3.12) -------------------------------------------------------------

/**
 * A batch job's status: upstream's six, plus `receiving` while its items are still being written
 * (a CSV upload in progress), which no API route shows.
 */
export type BatchJobStatus = 'receiving' | 'pending' | 'processing' | 'partially_queued' | 'completed' | 'failed' | 'cancelled';
export type BatchItemStatus = 'pending' | 'sent' | 'queued' | 'failed' | 'cancelled';

export interface BatchJob {
  id: string;
  clientId: number;
  apiKeyId: number | null;
  status: BatchJobStatus;
  totalCount: number;
  sentCount: number;
  /** Failed and cancelled items (upstream counted both). */
  failedCount: number;
  queuedCount: number;
  /** As the caller gave it (upstream echoed it unnormalised). */
  fromNumber: string;
  webhookUrl: string;
  throttleRps: number;
  maxRetryMins: number;
  /** `{{name}}` placeholders are filled from each item's variables when it is sent. */
  textTemplate: string;
  /** Items held back by a quota are failed after this; null until one is held back. */
  retryUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
}

export interface BatchItem {
  /** Also the id of the message it becomes (its dedup key on the bus). */
  id: string;
  batchJobId: string;
  index: number;
  /** `+E164` when it is a number, else as given (the send then fails it). */
  to: string;
  /** The item's own text ('' to use the job's template). */
  text: string;
  variables: Record<string, string>;
  status: BatchItemStatus;
  error: string;
  errorCode: number;
  /** Send attempts claimed so far (a second one may follow a node that died mid-send). */
  attempts: number;
  queuedAt: Date | null;
  sentAt: Date | null;
  createdAt: Date;
}

export type NewBatchJob = Pick<BatchJob, 'id' | 'clientId' | 'apiKeyId'>;
/** What a job learns once its items are written, when it opens (receiving → pending). */
export type BatchJobFields = Pick<BatchJob, 'fromNumber' | 'webhookUrl' | 'throttleRps' | 'maxRetryMins' | 'textTemplate' | 'totalCount'>;
export type NewBatchItem = Pick<BatchItem, 'id' | 'index' | 'to' | 'text' | 'variables'>;

/** The end of one send. */
export interface BatchItemOutcome {
  id: string;
  status: 'sent' | 'failed';
  error: string;
  errorCode: number;
}

export interface BatchListQuery {
  clientId: number;
  status?: string;
  /** Matched with and without a leading '+'. */
  from?: string;
  since?: Date;
  until?: Date;
  page: number;
  perPage: number;
}

export interface BatchItemQuery {
  status?: string;
  page: number;
  perPage: number;
}

/** A failed or cancelled item, as a job's `errors` lists it (upstream §3.13). */
export interface BatchItemError {
  index: number;
  to: string;
  error: string;
  code: number;
}

export type BatchCancelResult = { kind: 'cancelled'; cancelledCount: number; job: BatchJob } | { kind: 'final'; job: BatchJob };

export type BatchItemCancelResult = { kind: 'cancelled' } | { kind: 'final'; status: BatchItemStatus } | { kind: 'missing' };

/**
 * Batch jobs and their items. Counters move with every write (settle adds what it changed), so
 * progress never needs a count over the items; cancel and finish recount once.
 */
export interface BatchRepo {
  /** A job in `receiving`, before its items. */
  createJob(job: NewBatchJob): Promise<void>;
  /** Deletes the client's jobs still `receiving` that were created before `before` (their node died mid-upload). */
  deleteAbandoned(clientId: number, before: Date): Promise<number>;
  addItems(jobId: string, items: NewBatchItem[]): Promise<void>;
  /** receiving → pending with its fields; false when the job is gone. */
  openJob(jobId: string, fields: BatchJobFields): Promise<boolean>;
  /** Deletes a job and its items (a refused upload). */
  deleteJob(jobId: string): Promise<void>;
  /** Undefined when unknown, or still receiving. */
  get(jobId: string): Promise<BatchJob | undefined>;
  list(query: BatchListQuery): Promise<{ jobs: BatchJob[]; total: number }>;
  items(jobId: string, query: BatchItemQuery): Promise<{ items: BatchItem[]; total: number }>;
  /** Failed and cancelled items by index, at most `limit`. */
  errors(jobId: string, limit: number): Promise<BatchItemError[]>;
  /** Ids of every job not yet final (pending, processing, partially_queued), oldest first. */
  unfinished(): Promise<string[]>;
  /** pending → processing; the job as it is then (undefined when gone). */
  begin(jobId: string): Promise<BatchJob | undefined>;
  /**
   * The next `limit` pending or queued items after `afterIndex`, by index, each with its
   * attempts counted up (the returned `attempts` is the count before this claim).
   */
  claim(jobId: string, afterIndex: number, limit: number): Promise<BatchItem[]>;
  /**
   * Writes outcomes of items still pending or queued, with the counters. A cancelled item stays
   * cancelled unless it was sent after all (a cancel that came while it was being sent).
   */
  settle(jobId: string, outcomes: BatchItemOutcome[]): Promise<void>;
  /**
   * Holds every pending item back (queued, code 429, `error`), sets the job partially_queued and
   * its retryUntil (kept when already set).
   */
  holdBack(jobId: string, error: string, retryUntil: Date): Promise<void>;
  /** Fails every pending or queued item with `error` (code 429). */
  expire(jobId: string, error: string): Promise<void>;
  /** Recounts, then completed (something sent) or failed, unless cancelled meanwhile. */
  finish(jobId: string): Promise<BatchJob | undefined>;
  /** Cancels the job's pending and queued items unless the job is final (upstream §5.10). */
  cancel(jobId: string): Promise<BatchCancelResult | undefined>;
  /** Cancels one pending or queued item. */
  cancelItem(jobId: string, itemId: string): Promise<BatchItemCancelResult>;
}

export interface Store {
  readonly driver: 'pg' | 'pglite';
  readonly media: MediaFileRepo;
  readonly clients: ClientRepo;
  readonly numbers: NumberRepo;
  readonly carriers: CarrierRepo;
  readonly failovers: FailoverRepo;
  readonly apiKeys: ApiKeyRepo;
  readonly records: RecordRepo;
  readonly batches: BatchRepo;
  /** Applies pending migrations under a lock (safe with several nodes starting at once). */
  migrate(): Promise<string[]>;
  /**
   * Throws a clear error when ENCRYPTION_KEY is not the key the data was written with, then
   * re-encrypts passwords stored in an older unbound format bound to their rows.
   */
  verifySecrets(): Promise<void>;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
