import type { BatchItem, BatchItemError, BatchJob, BatchRepo } from '../store/index.js';
import { renderText } from './template.js';

type Json = Record<string, unknown>;

/**
 * A job's `errors` list the status answer and the completion webhook carry at most this many:
 * upstream's own batch maximum, so no upstream client ever read a longer one. Every failed item
 * remains listed by GET /messages/batch/{id}/messages?status=failed.
 */
export const MAX_ERRORS_LISTED = 10_000;

/** A job in upstream's BatchJob JSON (§3.11; omitempty fields left out when empty), plus `pending_count`. */
export function jobJson(job: BatchJob): Json {
  return {
    id: job.id,
    client_id: job.clientId,
    ...(job.apiKeyId !== null ? { api_key_id: job.apiKeyId } : {}),
    status: job.status,
    total_count: job.totalCount,
    sent_count: job.sentCount,
    failed_count: job.failedCount,
    queued_count: job.queuedCount,
    // Not upstream's: what is still to be tried, so progress needs no sum.
    pending_count: Math.max(0, job.totalCount - job.sentCount - job.failedCount - job.queuedCount),
    from_number: job.fromNumber,
    ...(job.webhookUrl ? { webhook_url: job.webhookUrl } : {}),
    throttle_per_second: job.throttleRps,
    max_retry_mins: job.maxRetryMins,
    created_at: job.createdAt.toISOString(),
    updated_at: job.updatedAt.toISOString(),
    ...(job.completedAt ? { completed_at: job.completedAt.toISOString() } : {}),
  };
}

/** GET /messages/batch/{id} and the completion webhook: the job with its `errors` (omitted when none). */
export function jobStatusJson(job: BatchJob, errors: BatchItemError[]): Json {
  return { ...jobJson(job), ...(errors.length > 0 ? { errors } : {}) };
}

/** An item in upstream's BatchMessageItem JSON (§3.12), its text as it is (or will be) sent. */
export function itemJson(item: BatchItem, job: BatchJob): Json {
  return {
    id: item.id,
    batch_job_id: item.batchJobId,
    index: item.index,
    to: item.to,
    text: renderText(item.text, job.textTemplate, item.variables),
    status: item.status,
    ...(item.error ? { error: item.error } : {}),
    ...(item.errorCode ? { error_code: item.errorCode } : {}),
    ...(item.queuedAt ? { queued_at: item.queuedAt.toISOString() } : {}),
    ...(item.sentAt ? { sent_at: item.sentAt.toISOString() } : {}),
    created_at: item.createdAt.toISOString(),
  };
}

/** The job's status body, read from the store; undefined when the job is gone. */
export async function readJobStatus(store: BatchRepo, jobId: string): Promise<Json | undefined> {
  const job = await store.get(jobId);
  if (!job) return undefined;
  return jobStatusJson(job, await store.errors(jobId, MAX_ERRORS_LISTED));
}
