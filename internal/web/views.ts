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
export const statusErrorView = z.looseObject({ status: z.literal('error'), message: z.string() }).meta({ id: 'StatusError' });

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

/** A batch job (upstream BatchJob, §3.11); the optional keys are absent when empty. */
export const batchJobView = z
  .object({
    id: z.string().meta({ description: 'a UUID' }),
    client_id: z.number().int(),
    api_key_id: z.number().int().optional().meta({ description: 'the key that created it, when one did' }),
    status: z.enum(['pending', 'processing', 'partially_queued', 'completed', 'failed', 'cancelled']),
    total_count: z.number().int(),
    sent_count: z.number().int(),
    failed_count: z.number().int().meta({ description: 'cancelled items included, as in gomsggw' }),
    queued_count: z.number().int(),
    pending_count: z.number().int().meta({ description: 'still to be tried (not in gomsggw)' }),
    from_number: e164,
    webhook_url: z.string().optional(),
    throttle_per_second: z.number().int(),
    max_retry_mins: z.number().int(),
    created_at: isoTime,
    updated_at: isoTime,
    completed_at: isoTime.optional(),
  })
  .meta({ id: 'BatchJob' });

/** A job with its failed and cancelled items by index (GET /messages/batch/{id}, the completion webhook). */
export const batchJobStatusView = batchJobView
  .extend({
    errors: z
      .array(z.object({ index: z.number().int(), to: z.string(), error: z.string(), code: z.number().int() }))
      .optional()
      .meta({ description: 'absent when none; at most 10,000' }),
  })
  .meta({ id: 'BatchJobStatus' });

/** One recipient of a batch (upstream BatchMessageItem, §3.12), its text as it is or will be sent. */
export const batchItemView = z
  .object({
    id: z.string().meta({ description: 'a UUID, also the id of the message sent' }),
    batch_job_id: z.string(),
    index: z.number().int(),
    to: z.string().meta({ description: '+E164 when it is a number, else as given' }),
    text: z.string(),
    status: z.enum(['pending', 'sent', 'queued', 'failed', 'cancelled']),
    error: z.string().optional(),
    error_code: z.number().int().optional(),
    queued_at: isoTime.optional(),
    sent_at: isoTime.optional(),
    created_at: isoTime,
  })
  .meta({ id: 'BatchItem' });

const batchFigure = z.object({
  current_usage: z.number().int(),
  limit: z.number().int().meta({ description: '0: no limit' }),
  remaining: z.number().int().nullable().meta({ description: 'null when there is no limit' }),
});

/** The answer of POST /messages/batch/check: would the batch fit what is left of the limits. */
export const batchCheckView = z
  .object({
    allowed: z.boolean(),
    message_count: z.number().int(),
    msg_type: z.enum(['sms', 'mms']),
    from: e164,
    limits: z.record(z.enum(['burst', 'daily', 'monthly']), batchFigure),
    number_limit: batchFigure.extend({ number: e164 }).optional(),
    reason: z.string().optional().meta({ description: 'the last limit that would be exceeded' }),
  })
  .meta({ id: 'BatchCheck' });
