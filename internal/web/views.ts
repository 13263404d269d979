/**
 * The JSON objects the API answers with, as zod schemas. dto.ts builds each object with the
 * schema's type as its return type, so a field added to one and not the other fails to compile;
 * the OpenAPI document (openapi.ts) shows these same schemas. Named ones (`meta({ id })`) appear
 * once under components/schemas.
 */
import { z } from 'zod';

const isoTime = z.string().meta({ description: 'RFC 3339 time (UTC)', example: '2026-12-06T20:35:31.000Z' });
const e164 = z.string().meta({ description: 'E.164 number', example: '+12505551234' });

/** `{"error": ...}`: every error of the API, plus whatever details the error carries. */
export const errorView = z
  .looseObject({ error: z.string() })
  .meta({ id: 'Error', description: 'An error; some carry more fields (reason, message, id, outcome, rate_limit...)' });

/** Upstream's `{"status":"error","message":...}`: bicom clients' errors and the client-auth gates. */
export const statusErrorView = z
  .looseObject({ status: z.literal('error'), message: z.string() })
  .meta({ id: 'StatusError' });

export const carrierView = z
  .object({
    id: z.number().int(),
    name: z.string(),
    type: z.string(),
    username: z.string(),
    uuid: z.string().meta({ description: '24 hex characters' }),
    webhook_url: z.string().meta({ description: 'SERVER_ADDRESS/inbound/{uuid}: the URL to configure at the carrier' }),
    profile_id: z.string(),
    api_base_url: z.string(),
    verify_webhooks: z.boolean(),
    public_key: z.string(),
    max_rps: z.number().int(),
    created_at: isoTime.nullable(),
    updated_at: isoTime.nullable(),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'Carrier' });

const limitViewFields = {
  sms_burst_limit: z.number().int(),
  sms_daily_limit: z.number().int(),
  sms_monthly_limit: z.number().int(),
  mms_burst_limit: z.number().int(),
  mms_daily_limit: z.number().int(),
  mms_monthly_limit: z.number().int(),
  limit_both: z.boolean(),
};

export const clientSettingsView = z
  .object({
    id: z.number().int(),
    client_id: z.number().int(),
    auth_method: z.enum(['basic', 'bearer']).nullable(),
    api_format: z.enum(['generic', 'bicom', 'telnyx']),
    disable_message_splitting: z.boolean(),
    split_method: z.enum(['udh', 'sar', 'payload', 'none']),
    webhook_retries: z.number().int(),
    webhook_timeout_secs: z.number().int(),
    include_raw_segments: z.boolean(),
    default_webhook: z.string(),
    webhook_secret: z.string(),
    ...limitViewFields,
    max_binds: z.number().int(),
    max_tps: z.number().int(),
    mm4_port: z.number().int(),
  })
  .meta({ id: 'ClientSettings' });

export const numberSettingsView = z
  .object({
    id: z.number().int(),
    number_id: z.number().int(),
    ...limitViewFields,
    auto_reply_enabled: z.boolean(),
    auto_reply_message: z.string(),
    auto_reply_cooldown_secs: z.number().int(),
  })
  .meta({ id: 'NumberSettings' });

export const numberView = z
  .object({
    id: z.number().int(),
    client_id: z.number().int(),
    number: e164,
    carrier: z.string(),
    tag: z.string(),
    group: z.string(),
    webhook: z.string(),
    ignore_stop_cmd_sending: z.boolean(),
    settings: numberSettingsView.optional(),
  })
  .meta({ id: 'Number' });

export const clientView = z
  .object({
    id: z.number().int(),
    username: z.string(),
    address: z.string(),
    name: z.string(),
    type: z.enum(['legacy', 'web']),
    timezone: z.string(),
    log_privacy: z.boolean(),
    created_at: isoTime.nullable(),
    updated_at: isoTime.nullable(),
    settings: clientSettingsView.optional(),
    numbers: z.array(numberView),
  })
  .meta({ id: 'Client' });

/** The SMPP credential warnings a legacy client's answers may carry (smpp-limits.ts). */
export const smppWarnings = { warnings: z.array(z.string()).optional() };

export const failoverView = z
  .object({
    id: z.number().int(),
    primary_client_id: z.number().int(),
    fallback_client_id: z.number().int(),
    priority: z.number().int(),
    enabled: z.boolean(),
  })
  .meta({ id: 'Failover' });

export const failoverListItemView = failoverView
  .extend({ fallback_client_name: z.string(), fallback_client_username: z.string(), fallback_online: z.boolean() })
  .meta({ id: 'FailoverWithFallback' });

export const apiKeyView = z
  .object({
    id: z.number().int(),
    client_id: z.number().int(),
    name: z.string(),
    key_prefix: z.string(),
    scopes: z.string().meta({ description: 'comma list of send, batch, usage' }),
    rate_limit: z.number().int(),
    active: z.boolean(),
    expires_at: isoTime.nullable(),
    last_used_at: isoTime.nullable(),
    created_at: isoTime.nullable(),
    allowed_numbers: z.array(z.object({ id: z.number().int(), api_key_id: z.number().int(), number_id: z.number().int(), number: e164 })),
  })
  .meta({ id: 'ApiKey' });

export const autoReplyView = z
  .object({
    number_id: z.number().int(),
    number: e164,
    master_enabled: z.boolean(),
    enabled: z.boolean(),
    effective_enabled: z.boolean(),
    message: z.string(),
    effective_message: z.string(),
    cooldown_secs: z.number().int(),
    suppressed_by_stop: z.boolean(),
    env_default_fallback: z.string(),
  })
  .meta({ id: 'AutoReply' });

/** A message record of GET /messages/history; the optional keys are absent when empty, 0 or false. */
export const recordView = z
  .object({
    id: z.number().int(),
    client_id: z.number().int(),
    to_number: z.string(),
    from_number: z.string(),
    received_timestamp: isoTime,
    type: z.enum(['sms', 'mms']),
    internal: z.boolean(),
    log_id: z.string(),
    server_id: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    from_client_type: z.string(),
    to_client_type: z.string(),
    delivery_method: z.string(),
    total_segments: z.number().int(),
    carrier: z.string().optional(),
    source_ip: z.string().optional(),
    encoding: z.string().optional(),
    original_bytes_length: z.number().int().optional(),
    original_size_bytes: z.number().int().optional(),
    transcoded_size_bytes: z.number().int().optional(),
    media_count: z.number().int().optional(),
    transcoding_performed: z.boolean().optional(),
    message_id: z.string(),
    status: z.string(),
    carrier_message_id: z.string(),
    error: z.string().optional(),
  })
  .meta({ id: 'MessageRecord' });

export const deadLetterView = z
  .object({
    seq: z.number().int(),
    stream: z.string(),
    consumer: z.string(),
    subject: z.string(),
    stream_seq: z.number().int(),
    deliveries: z.number().int(),
    reason: z.string().meta({ description: 'retry, error or ack_wait' }),
    detail: z.string(),
    dead_at: isoTime,
    stored_at: isoTime,
    size_bytes: z.number().int(),
    payload_base64: z.string().optional().meta({ description: 'only when one dead letter is shown' }),
  })
  .meta({ id: 'DeadLetter' });

/** `{message, <key>: <object>}`: the answer of an update. */
export const updated = <K extends string, S extends z.ZodType>(key: K, schema: S) =>
  z.object({ message: z.string() }).extend({ [key]: schema } as { [P in K]: S });

/** `{message, <key>: <id>}`: the answer of a delete. */
export const deleted = <K extends string>(key: K) =>
  z.object({ message: z.string() }).extend({ [key]: z.number().int() } as { [P in K]: z.ZodNumber });

/** `{message}` or `{status}` alone (reloads, "no settings configured"). */
export const messageOnly = z.object({ message: z.string() });
export const statusOnly = z.object({ status: z.string() });
