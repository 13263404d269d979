/**
 * The admin API's JSON: one explicit function per object, snake_case keys as upstream named them
 * (§3), and never a password or key hash (upstream BUG-31). Lists are always arrays.
 */
import type {
  ApiKeyNumber,
  Carrier,
  ClientDetails,
  ClientFailover,
  ClientNumber,
  ClientSettings,
  Limits,
  NumberSettings,
  StoredRecord,
  TenantApiKey,
} from '../store/index.js';
import { resolveAutoReply } from '../autoreply/index.js';
import { inboundWebhookPath } from '../carriers/index.js';
import { unsignedWebhooksWarning } from '../../proto/carrier-types.js';
import type { AutoReplyDefaults } from './types.js';
import type {
  apiKeyView,
  autoReplyView,
  carrierView,
  clientSettingsView,
  clientView,
  failoverListItemView,
  failoverView,
  numberSettingsView,
  numberView,
  recordView,
} from './views.js';
import type { z } from 'zod';

type Json = Record<string, unknown>;
/** What a dto returns: the JSON its view schema (views.ts) describes. */
type View<S extends z.ZodType> = z.input<S>;

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/** Where a carrier's inbound webhooks arrive: `{SERVER_ADDRESS}/inbound/{uuid}` (§5.11). */
export function webhookUrl(serverAddress: string, uuid: string): string {
  return `${serverAddress.replace(/\/+$/, '')}${inboundWebhookPath(uuid)}`;
}

/** What an operator should know about a carrier as configured: today, only unsigned webhooks. */
export function carrierWarnings(carrier: Carrier): string[] {
  const unsigned = unsignedWebhooksWarning(carrier);
  return unsigned ? [unsigned] : [];
}

/** A carrier without its password; `warnings` is always there, [] when all is well. */
export function carrierDto(carrier: Carrier, serverAddress: string): View<typeof carrierView> {
  return {
    id: carrier.id,
    name: carrier.name,
    type: carrier.type,
    username: carrier.username,
    uuid: carrier.uuid,
    webhook_url: webhookUrl(serverAddress, carrier.uuid),
    profile_id: carrier.profileId,
    api_base_url: carrier.apiBaseUrl,
    verify_webhooks: carrier.verifyWebhooks,
    public_key: carrier.publicKey,
    max_rps: carrier.maxRps,
    created_at: iso(carrier.createdAt),
    updated_at: iso(carrier.updatedAt),
    warnings: carrierWarnings(carrier),
  };
}

function limitsDto(limits: Limits) {
  return {
    sms_burst_limit: limits.smsBurstLimit,
    sms_daily_limit: limits.smsDailyLimit,
    sms_monthly_limit: limits.smsMonthlyLimit,
    mms_burst_limit: limits.mmsBurstLimit,
    mms_daily_limit: limits.mmsDailyLimit,
    mms_monthly_limit: limits.mmsMonthlyLimit,
    limit_both: limits.limitBoth,
  };
}

/** Includes `webhook_secret`: the admin hands it to whoever verifies the webhook signatures. */
export function clientSettingsDto(settings: ClientSettings): View<typeof clientSettingsView> {
  return {
    id: settings.id,
    client_id: settings.clientId,
    auth_method: settings.authMethod,
    api_format: settings.apiFormat,
    disable_message_splitting: settings.disableMessageSplitting,
    split_method: settings.splitMethod,
    webhook_retries: settings.webhookRetries,
    webhook_timeout_secs: settings.webhookTimeoutSecs,
    include_raw_segments: settings.includeRawSegments,
    default_webhook: settings.defaultWebhook,
    webhook_secret: settings.webhookSecret,
    ...limitsDto(settings),
    max_binds: settings.maxBinds,
    max_tps: settings.maxTps,
    mm4_port: settings.mm4Port,
  };
}

export function numberSettingsDto(settings: NumberSettings): View<typeof numberSettingsView> {
  return {
    id: settings.id,
    number_id: settings.numberId,
    ...limitsDto(settings),
    auto_reply_enabled: settings.autoReplyEnabled,
    auto_reply_message: settings.autoReplyMessage,
    auto_reply_cooldown_secs: settings.autoReplyCooldownSecs,
  };
}

/** `settings` appears only when the number has them, as upstream's `omitempty` did. */
export function numberDto(number: ClientNumber): View<typeof numberView> {
  return {
    id: number.id,
    client_id: number.clientId,
    number: number.number,
    carrier: number.carrier,
    tag: number.tag,
    group: number.group,
    webhook: number.webhook,
    ignore_stop_cmd_sending: number.ignoreStopCmdSending,
    ...(number.settings ? { settings: numberSettingsDto(number.settings) } : {}),
  };
}

/** A client without its password (the key is absent, not blank); `settings` only when present. */
export function clientDto(client: ClientDetails): View<typeof clientView> {
  return {
    id: client.id,
    username: client.username,
    address: client.address,
    name: client.name,
    type: client.type,
    timezone: client.timezone,
    log_privacy: client.logPrivacy,
    created_at: iso(client.createdAt),
    updated_at: iso(client.updatedAt),
    ...(client.settings ? { settings: clientSettingsDto(client.settings) } : {}),
    numbers: client.numbers.map(numberDto),
  };
}

export function failoverDto(failover: ClientFailover): View<typeof failoverView> {
  return {
    id: failover.id,
    primary_client_id: failover.primaryClientId,
    fallback_client_id: failover.fallbackClientId,
    priority: failover.priority,
    enabled: failover.enabled,
  };
}

/** A failover with its fallback's name and SMPP presence (GET /clients/{id}/failovers). */
export function failoverViewDto(
  failover: ClientFailover,
  fallback: ClientDetails | undefined,
  online: boolean,
): View<typeof failoverListItemView> {
  return {
    ...failoverDto(failover),
    fallback_client_name: fallback?.name ?? '',
    fallback_client_username: fallback?.username ?? '',
    fallback_online: online,
  };
}

function apiKeyNumberDto(entry: ApiKeyNumber) {
  return { id: entry.id, api_key_id: entry.apiKeyId, number_id: entry.numberId, number: entry.number };
}

/** A tenant API key without its hash; the raw key is shown once, by the create route. */
export function apiKeyDto(key: TenantApiKey): View<typeof apiKeyView> {
  return {
    id: key.id,
    client_id: key.clientId,
    name: key.name,
    key_prefix: key.keyPrefix,
    scopes: key.scopes,
    rate_limit: key.rateLimit,
    active: key.active,
    expires_at: iso(key.expiresAt),
    last_used_at: iso(key.lastUsedAt),
    created_at: iso(key.createdAt),
    allowed_numbers: key.allowedNumbers.map(apiKeyNumberDto),
  };
}

/** The resolved auto-reply view of GET /numbers/{id}/auto-reply (upstream §5.7). */
export function autoReplyViewDto(number: ClientNumber, defaults: AutoReplyDefaults): View<typeof autoReplyView> {
  const plan = resolveAutoReply(number, defaults);
  return {
    number_id: number.id,
    number: number.number,
    master_enabled: defaults.enabled,
    enabled: plan.numberEnabled,
    effective_enabled: plan.enabled,
    message: plan.numberMessage,
    effective_message: plan.message,
    cooldown_secs: plan.cooldownSecs,
    suppressed_by_stop: plan.suppressedByStop,
    env_default_fallback: defaults.defaultMessage,
  };
}

/** Upstream's `omitempty`: the key only when the value is not '', 0 or false. */
function omitEmpty<T extends Json>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== '' && value !== 0 && value !== false)) as Partial<T>;
}

/**
 * A message record as GET /messages/history shows it: gomsggw's MsgRecordDBItem keys (§3.9,
 * `to_number`/`from_number`, omitempty fields left out when empty), plus our `status`,
 * `carrier_message_id`, `message_id` and `error`. The text preview is never shown.
 */
export function recordDto(record: StoredRecord): View<typeof recordView> {
  return {
    id: record.id,
    client_id: record.clientId,
    to_number: record.to,
    from_number: record.from,
    received_timestamp: record.receivedTimestamp.toISOString(),
    type: record.type,
    internal: record.internal,
    log_id: record.logId,
    server_id: record.serverId,
    direction: record.direction,
    from_client_type: record.fromClientType,
    to_client_type: record.toClientType,
    delivery_method: record.deliveryMethod,
    total_segments: record.totalSegments,
    ...omitEmpty({
      carrier: record.carrier,
      source_ip: record.sourceIp,
      encoding: record.encoding,
      original_bytes_length: record.originalBytesLength,
      original_size_bytes: record.originalSizeBytes,
      transcoded_size_bytes: record.transcodedSizeBytes,
      media_count: record.mediaCount,
      transcoding_performed: record.transcodingPerformed,
    }),
    message_id: record.messageId,
    status: record.status,
    carrier_message_id: record.carrierMsgId,
    ...omitEmpty({ error: record.error }),
  };
}
