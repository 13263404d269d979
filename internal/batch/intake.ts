import { randomUUID } from 'node:crypto';
import { batchRunCodec } from '../../proto/batch.js';
import { normalizeE164 } from '../../proto/e164.js';
import { ValidationError } from '../errors/index.js';
import type { BatchJobFields, NewBatchItem } from '../store/index.js';
import { resolveBatchFrom } from './caller.js';
import type { BatchCaller, BatchDeps, BatchFields, BatchOptions, BatchRow } from './types.js';

/** Upstream's default pace of a batch, messages a second (§5.10: ≤ 0 means this). */
export const DEFAULT_THROTTLE_PER_SECOND = 30;
/** Upstream's default time a quota-held item keeps being retried (§15.1 step 4). */
export const DEFAULT_MAX_RETRY_MINS = 60;
/**
 * Most recipients in one batch. Upstream allowed 10,000; a batch here is written to the store in
 * chunks and run by any node, so a hundred thousand (one CSV) is routine.
 */
export const DEFAULT_MAX_BATCH_MESSAGES = 100_000;
/** Caps that keep the stored integers in range (upstream had none); far above any real pace or wait. */
const MAX_THROTTLE = 1_000_000;
const MAX_RETRY_MINS = 7 * 24 * 60;
/** An upload still `receiving` after this long lost its node; the client's next batch clears it away. */
const ABANDONED_AFTER_MS = 3_600_000;
/** Items written to the store per statement while a batch is received. */
const WRITE_CHUNK = 1_000;

export interface BatchCreated {
  id: string;
  status: 'pending';
  total_count: number;
}

/**
 * Receives a batch: writes the job (hidden while `receiving`) and its items in chunks as the
 * rows arrive, so a CSV is never held whole; then checks the job's fields (known only once a
 * multipart body is read: its form fields may follow the file), opens the job and publishes one
 * bus message naming it. Anything refused deletes what was written.
 */
export class BatchIntake {
  readonly #max: number;

  constructor(
    private readonly options: BatchOptions,
    private readonly deps: BatchDeps,
  ) {
    this.#max = options.maxMessages ?? DEFAULT_MAX_BATCH_MESSAGES;
  }

  /** `fields` is read once `rows` is exhausted. */
  async create(caller: BatchCaller, rows: AsyncIterable<BatchRow> | Iterable<BatchRow>, fields: () => BatchFields): Promise<BatchCreated> {
    // A parsed JSON body is counted before anything is written, in upstream's order.
    if (Array.isArray(rows)) {
      if (rows.length === 0) throw new ValidationError('No messages provided');
      if (rows.length > this.#max) throw this.tooMany();
    }
    const id = randomUUID();
    const { store } = this.deps;
    await store.deleteAbandoned(caller.client.id, new Date((this.deps.now ?? Date.now)() - ABANDONED_AFTER_MS));
    await store.createJob({ id, clientId: caller.client.id, apiKeyId: caller.apiKey?.id ?? null });
    try {
      const total = await this.writeItems(id, rows);
      if (total === 0) throw new ValidationError('No messages provided');
      const opened = await store.openJob(id, { ...jobFields(caller, fields()), totalCount: total });
      if (!opened) throw new Error(`batch ${id} vanished while it was received`);
      await this.deps.bus.publishDurable(this.options.subjects.batchRun, batchRunCodec.encode({ v: 1, batchId: id }), {
        msgId: `batch-${id}`,
      });
      this.deps.logger.info({ batchId: id, clientId: caller.client.id, total }, 'batch accepted');
      return { id, status: 'pending', total_count: total };
    } catch (err) {
      await store
        .deleteJob(id)
        .catch((cleanup: unknown) => this.deps.logger.warn({ err: cleanup, batchId: id }, 'could not delete a refused batch'));
      throw err;
    }
  }

  private async writeItems(jobId: string, rows: AsyncIterable<BatchRow> | Iterable<BatchRow>): Promise<number> {
    let chunk: NewBatchItem[] = [];
    let index = 0;
    for await (const row of rows) {
      if (index >= this.#max) throw this.tooMany();
      chunk.push({ id: randomUUID(), index, to: normalizeE164(row.to) ?? row.to, text: row.text, variables: row.variables });
      index += 1;
      if (chunk.length >= WRITE_CHUNK) {
        await this.deps.store.addItems(jobId, chunk);
        chunk = [];
      }
    }
    await this.deps.store.addItems(jobId, chunk);
    return index;
  }

  private tooMany(): ValidationError {
    return new ValidationError(`Batch size exceeds maximum of ${this.#max.toLocaleString('en-US')} messages`);
  }
}

/** The job's stored fields: `from` as given (upstream echoed it so), defaults applied. */
function jobFields(caller: BatchCaller, f: BatchFields): Omit<BatchJobFields, 'totalCount'> {
  const from = resolveBatchFrom(caller, f.from);
  return {
    fromNumber: f.from.trim() === '' ? from : f.from.trim(),
    textTemplate: f.textTemplate,
    webhookUrl: checkWebhookUrl(f.webhookUrl.trim()),
    throttleRps: f.throttlePerSecond >= 1 ? Math.min(Math.floor(f.throttlePerSecond), MAX_THROTTLE) : DEFAULT_THROTTLE_PER_SECOND,
    maxRetryMins: f.maxRetryMins >= 1 ? Math.min(Math.floor(f.maxRetryMins), MAX_RETRY_MINS) : DEFAULT_MAX_RETRY_MINS,
  };
}

/** An http(s) URL, or '' (upstream took any string and failed to post it later). */
function checkWebhookUrl(url: string): string {
  if (url === '') return '';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError("'webhook_url' must be an http or https URL");
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ValidationError("'webhook_url' must be an http or https URL");
  return url;
}
