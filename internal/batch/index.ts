/**
 * The batch room: batches of SMS from one number to many recipients (upstream §5.10, §15), run
 * as cluster work. BatchService answers the /messages/batch routes from the store; BatchWorker
 * (one shared durable consumer) sends the items through the node's ingress on whichever node
 * takes the batch; csvRows reads a CSV upload as it streams in.
 */
export type { BatchRow, BatchFields, BatchCaller, BatchIngress, BatchOptions, BatchDeps } from './types.js';
export type { BatchCreated } from './intake.js';
export type { BatchPage, BatchCheckRequest } from './service.js';
export { BatchService } from './service.js';
export { BatchWorker, DEFAULT_BATCH_LEASE_MS, DEFAULT_BATCH_CONCURRENCY } from './worker.js';
export { DEFAULT_THROTTLE_PER_SECOND, DEFAULT_MAX_RETRY_MINS, DEFAULT_MAX_BATCH_MESSAGES } from './intake.js';
export { csvRows } from './csv.js';
export { renderTemplate, renderText } from './template.js';
export { readJobStatus, MAX_ERRORS_LISTED } from './report.js';
