import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors/index.js';
import type { QuotaMessageType } from '../quota/index.js';
import type { BatchItemQuery, BatchJob, BatchListQuery } from '../store/index.js';
import { resolveBatchFrom } from './caller.js';
import { checkAnswer } from './check.js';
import { BatchIntake, type BatchCreated } from './intake.js';
import { itemJson, jobJson, readJobStatus } from './report.js';
import type { BatchCaller, BatchDeps, BatchFields, BatchOptions, BatchRow } from './types.js';

type Json = Record<string, unknown>;

/** A page of a list, with what the pagination headers say. */
export interface BatchPage {
  body: Json[];
  total: number;
  page: number;
  perPage: number;
}

/** What POST /messages/batch/check reads of its body. */
export interface BatchCheckRequest {
  from: string;
  messageCount: number;
  msgType: string;
}

/**
 * Every /messages/batch operation of upstream §5.10 for one caller, answered from the store
 * (any node answers any batch). Errors are the gateway's classes with upstream's texts: 404
 * "Batch job not found" for a job that is unknown or another client's.
 */
export class BatchService {
  readonly #intake: BatchIntake;

  constructor(
    options: BatchOptions,
    private readonly deps: BatchDeps,
  ) {
    this.#intake = new BatchIntake(options, deps);
  }

  create(caller: BatchCaller, rows: AsyncIterable<BatchRow> | Iterable<BatchRow>, fields: () => BatchFields): Promise<BatchCreated> {
    return this.#intake.create(caller, rows, fields);
  }

  async check(caller: BatchCaller, request: BatchCheckRequest): Promise<Json> {
    if (!(request.messageCount > 0)) throw new ValidationError("'message_count' must be greater than 0");
    const type = (request.msgType || 'sms').toLowerCase();
    if (type !== 'sms' && type !== 'mms') throw new ValidationError("'msg_type' must be 'sms' or 'mms'");
    const from = resolveBatchFrom(caller, request.from);
    if (!this.deps.usage) throw new UnavailableError('usage counters are not configured on this node');
    return checkAnswer(await this.deps.usage.report(caller.client), from, type as QuotaMessageType, Math.floor(request.messageCount));
  }

  async status(caller: BatchCaller, jobId: string): Promise<Json> {
    await this.job(caller, jobId);
    const body = await readJobStatus(this.deps.store, jobId);
    if (!body) throw notFound();
    return body;
  }

  async list(caller: BatchCaller, query: Omit<BatchListQuery, 'clientId'>): Promise<BatchPage> {
    const { jobs, total } = await this.deps.store.list({ ...query, clientId: caller.client.id });
    return { body: jobs.map(jobJson), total, page: query.page, perPage: query.perPage };
  }

  async items(caller: BatchCaller, jobId: string, query: BatchItemQuery): Promise<BatchPage> {
    const job = await this.job(caller, jobId);
    const { items, total } = await this.deps.store.items(jobId, query);
    return { body: items.map((item) => itemJson(item, job)), total, page: query.page, perPage: query.perPage };
  }

  /** Upstream's cancel (§5.10); the worker, on whichever node, stops at its next chunk. */
  async cancel(caller: BatchCaller, jobId: string): Promise<Json> {
    await this.job(caller, jobId);
    const result = await this.deps.store.cancel(jobId);
    if (!result) throw notFound();
    if (result.kind === 'final') {
      const status = result.job.status;
      throw new ConflictError('Batch job cannot be cancelled', { details: { status, detail: `Job is already '${status}'` } });
    }
    return {
      message: 'Batch job cancelled',
      job_id: jobId,
      status: 'cancelled',
      cancelled_count: result.cancelledCount,
      sent_count: result.job.sentCount,
    };
  }

  async cancelItem(caller: BatchCaller, jobId: string, itemId: string): Promise<Json> {
    await this.job(caller, jobId);
    const result = await this.deps.store.cancelItem(jobId, itemId);
    if (result.kind === 'missing') throw new NotFoundError('Message not found');
    if (result.kind === 'final') {
      throw new ConflictError('Message cannot be cancelled', {
        details: { status: result.status, detail: `Message is already '${result.status}'` },
      });
    }
    return { message: 'Message cancelled', message_id: itemId, status: 'cancelled' };
  }

  private async job(caller: BatchCaller, jobId: string): Promise<BatchJob> {
    const job = await this.deps.store.get(jobId);
    if (!job || job.clientId !== caller.client.id) throw notFound();
    return job;
  }
}

function notFound(): NotFoundError {
  return new NotFoundError('Batch job not found');
}
