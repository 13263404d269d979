import { CompiledQuery, sql, type Kysely, type Selectable } from 'kysely';
import type { BatchJobsTable, BatchMessageItemsTable, Database } from '../schema.js';
import type {
  BatchCancelResult,
  BatchItem,
  BatchItemCancelResult,
  BatchItemError,
  BatchItemOutcome,
  BatchItemQuery,
  BatchItemStatus,
  BatchJob,
  BatchJobFields,
  BatchJobStatus,
  BatchListQuery,
  BatchRepo,
  NewBatchItem,
  NewBatchJob,
} from '../types.js';
import { guard } from '../db-errors.js';
import { jsonForPostgres } from '../text-cleaning.js';

const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const toDateOrNull = (v: Date | string | null): Date | null => (v === null ? null : toDate(v));

/** Statuses a job or item is never moved out of. */
const FINAL_JOB: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
const OPEN_ITEM = ['pending', 'queued'] as const;

export function toBatchJob(row: Selectable<BatchJobsTable>): BatchJob {
  return {
    id: row.id,
    clientId: row.clientId,
    apiKeyId: row.apiKeyId,
    status: row.status as BatchJobStatus,
    totalCount: row.totalCount,
    sentCount: row.sentCount,
    failedCount: row.failedCount,
    queuedCount: row.queuedCount,
    fromNumber: row.fromNumber,
    webhookUrl: row.webhookUrl,
    throttleRps: row.throttleRps,
    maxRetryMins: row.maxRetryMins,
    textTemplate: row.textTemplate,
    retryUntil: toDateOrNull(row.retryUntil),
    createdAt: toDate(row.createdAt),
    updatedAt: toDate(row.updatedAt),
    completedAt: toDateOrNull(row.completedAt),
  };
}

function parseVariables(text: string): Record<string, string> {
  if (text === '') return {};
  try {
    return JSON.parse(text) as Record<string, string>;
  } catch {
    return {};
  }
}

export function toBatchItem(row: Selectable<BatchMessageItemsTable>): BatchItem {
  return {
    id: row.id,
    batchJobId: row.batchJobId,
    index: row.index,
    to: row.to,
    text: row.text,
    variables: parseVariables(row.variables),
    status: row.status as BatchItemStatus,
    error: row.error,
    errorCode: row.errorCode,
    attempts: row.attempts,
    queuedAt: toDateOrNull(row.queuedAt),
    sentAt: toDateOrNull(row.sentAt),
    createdAt: toDate(row.createdAt),
  };
}

/** Items go in as one JSON parameter (one SQL text whatever the chunk size, as the ledger does). */
const INSERT_ITEMS = `INSERT INTO batch_message_items (id, batch_job_id, index, "to", text, variables)
SELECT t.id, $1, t.index, t."to", t.text, t.variables
FROM json_to_recordset($2::json) AS t(id text, index int4, "to" text, text text, variables text)`;

/**
 * One statement: the outcomes of items still open, and the job's counters moved by what
 * actually changed. An item cancelled meanwhile stays cancelled if it failed, but one that was
 * sent is recorded sent (it went; a cancel counted it failed, so that count comes back down).
 */
const SETTLE = `WITH o AS (
  SELECT * FROM json_to_recordset($2::json) AS t(id text, status text, error text, error_code int4)
), old AS (
  SELECT i.id, i.status FROM batch_message_items i JOIN o ON o.id = i.id WHERE i.batch_job_id = $1 FOR UPDATE OF i
), changed AS (
  UPDATE batch_message_items i SET status = o.status, error = o.error, error_code = o.error_code,
    sent_at = CASE WHEN o.status = 'sent' THEN now() ELSE i.sent_at END
  FROM o JOIN old ON old.id = o.id
  WHERE i.id = o.id AND (old.status IN ('pending', 'queued') OR (old.status = 'cancelled' AND o.status = 'sent'))
  RETURNING o.status, old.status AS was
)
UPDATE batch_jobs SET
  sent_count = sent_count + (SELECT count(*) FROM changed WHERE status = 'sent'),
  failed_count = failed_count + (SELECT count(*) FROM changed WHERE status = 'failed')
    - (SELECT count(*) FROM changed WHERE was = 'cancelled'),
  queued_count = GREATEST(0, queued_count - (SELECT count(*) FROM changed WHERE was = 'queued')),
  updated_at = now()
WHERE id = $1`;

/** Open items after an index, by index: one index range per status (batch_items_status_idx). */
const CLAIM = `UPDATE batch_message_items SET attempts = attempts + 1
WHERE id IN (
  SELECT id FROM (
    (SELECT id, index FROM batch_message_items WHERE batch_job_id = $1 AND status = 'pending' AND index > $2 ORDER BY index LIMIT $3)
    UNION ALL
    (SELECT id, index FROM batch_message_items WHERE batch_job_id = $1 AND status = 'queued' AND index > $2 ORDER BY index LIMIT $3)
  ) open ORDER BY index LIMIT $3
)
RETURNING *`;

/** The job's counters from its items (cancel and finish): cancelled items count as failed, as upstream. */
const RECOUNT = `UPDATE batch_jobs j SET
  sent_count = c.sent, failed_count = c.failed, queued_count = c.queued, updated_at = now()
FROM (
  SELECT count(*) FILTER (WHERE status = 'sent') AS sent,
    count(*) FILTER (WHERE status IN ('failed', 'cancelled')) AS failed,
    count(*) FILTER (WHERE status = 'queued') AS queued
  FROM batch_message_items WHERE batch_job_id = $1
) c WHERE j.id = $1`;

export class KyselyBatchRepo implements BatchRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async createJob(job: NewBatchJob): Promise<void> {
    await guard(
      () =>
        this.db
          .insertInto('batchJobs')
          .values({ ...job, status: 'receiving' })
          .execute(),
      { missingParent: 'client not found' },
    );
  }

  async deleteAbandoned(clientId: number, before: Date): Promise<number> {
    const result = await guard(() =>
      this.db
        .deleteFrom('batchJobs')
        .where('clientId', '=', clientId)
        .where('status', '=', 'receiving')
        .where('createdAt', '<', before)
        .executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }

  async addItems(jobId: string, items: NewBatchItem[]): Promise<void> {
    if (items.length === 0) return;
    const rows = items.map((i) => ({
      id: i.id,
      index: i.index,
      to: i.to,
      text: i.text,
      variables: Object.keys(i.variables).length === 0 ? '' : JSON.stringify(i.variables),
    }));
    await guard(() => this.db.executeQuery(CompiledQuery.raw(INSERT_ITEMS, [jobId, jsonForPostgres(JSON.stringify(rows))])));
  }

  async openJob(jobId: string, fields: BatchJobFields): Promise<boolean> {
    const result = await guard(() =>
      this.db
        .updateTable('batchJobs')
        .set({ ...fields, status: 'pending', updatedAt: new Date() })
        .where('id', '=', jobId)
        .where('status', '=', 'receiving')
        .executeTakeFirst(),
    );
    return result.numUpdatedRows > 0n;
  }

  async deleteJob(jobId: string): Promise<void> {
    await guard(() => this.db.deleteFrom('batchJobs').where('id', '=', jobId).execute());
  }

  async get(jobId: string): Promise<BatchJob | undefined> {
    const row = await guard(() =>
      this.db.selectFrom('batchJobs').selectAll().where('id', '=', jobId).where('status', '!=', 'receiving').executeTakeFirst(),
    );
    return row && toBatchJob(row);
  }

  async list(q: BatchListQuery): Promise<{ jobs: BatchJob[]; total: number }> {
    let query = this.db.selectFrom('batchJobs').where('clientId', '=', q.clientId).where('status', '!=', 'receiving');
    if (q.status) query = query.where('status', '=', q.status);
    if (q.from) {
      const bare = q.from.replace(/^\+/, '');
      query = query.where('fromNumber', 'in', [bare, `+${bare}`]);
    }
    if (q.since) query = query.where('createdAt', '>=', q.since);
    if (q.until) query = query.where('createdAt', '<=', q.until);
    return guard(async () => {
      const { total } = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
      const rows = await query
        .selectAll()
        .orderBy('createdAt', 'desc')
        .orderBy('id')
        .limit(q.perPage)
        .offset((q.page - 1) * q.perPage)
        .execute();
      return { jobs: rows.map(toBatchJob), total: Number(total) };
    });
  }

  async items(jobId: string, q: BatchItemQuery): Promise<{ items: BatchItem[]; total: number }> {
    let query = this.db.selectFrom('batchMessageItems').where('batchJobId', '=', jobId);
    if (q.status) query = query.where('status', '=', q.status);
    return guard(async () => {
      const { total } = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
      const rows = await query
        .selectAll()
        .orderBy('index')
        .limit(q.perPage)
        .offset((q.page - 1) * q.perPage)
        .execute();
      return { items: rows.map(toBatchItem), total: Number(total) };
    });
  }

  async errors(jobId: string, limit: number): Promise<BatchItemError[]> {
    const rows = await guard(() =>
      this.db
        .selectFrom('batchMessageItems')
        .select(['index', 'to', 'error', 'errorCode'])
        .where('batchJobId', '=', jobId)
        .where('status', 'in', ['failed', 'cancelled'])
        .orderBy('index')
        .limit(limit)
        .execute(),
    );
    return rows.map((r) => ({ index: r.index, to: r.to, error: r.error, code: r.errorCode }));
  }

  async unfinished(): Promise<string[]> {
    const rows = await guard(() =>
      this.db
        .selectFrom('batchJobs')
        .select('id')
        .where('status', 'in', ['pending', 'processing', 'partially_queued'])
        .orderBy('createdAt')
        .execute(),
    );
    return rows.map((r) => r.id);
  }

  async begin(jobId: string): Promise<BatchJob | undefined> {
    const row = await guard(() =>
      this.db
        .updateTable('batchJobs')
        .set({ status: 'processing', updatedAt: new Date() })
        .where('id', '=', jobId)
        .where('status', '=', 'pending')
        .returningAll()
        .executeTakeFirst(),
    );
    return row ? toBatchJob(row) : this.get(jobId);
  }

  async claim(jobId: string, afterIndex: number, limit: number): Promise<BatchItem[]> {
    const { rows } = await guard(() =>
      this.db.executeQuery(CompiledQuery.raw(CLAIM, [jobId, afterIndex, limit]) as CompiledQuery<Selectable<BatchMessageItemsTable>>),
    );
    return rows
      .map(toBatchItem)
      .map((i) => ({ ...i, attempts: i.attempts - 1 }))
      .sort((a, b) => a.index - b.index);
  }

  async settle(jobId: string, outcomes: BatchItemOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const rows = outcomes.map((o) => ({ id: o.id, status: o.status, error: o.error, error_code: o.errorCode }));
    await guard(() => this.db.executeQuery(CompiledQuery.raw(SETTLE, [jobId, jsonForPostgres(JSON.stringify(rows))])));
  }

  async holdBack(jobId: string, error: string, retryUntil: Date): Promise<void> {
    await guard(() =>
      this.db.transaction().execute(async (tx) => {
        const held = await tx
          .updateTable('batchMessageItems')
          .set({ status: 'queued', error, errorCode: 429, queuedAt: new Date() })
          .where('batchJobId', '=', jobId)
          .where('status', '=', 'pending')
          .executeTakeFirst();
        await tx
          .updateTable('batchJobs')
          .set((eb) => ({
            status: sql<string>`CASE WHEN status = 'processing' THEN 'partially_queued' ELSE status END`,
            queuedCount: eb('queuedCount', '+', Number(held.numUpdatedRows)),
            retryUntil: sql<Date>`COALESCE(retry_until, ${retryUntil})`,
            updatedAt: new Date(),
          }))
          .where('id', '=', jobId)
          .execute();
      }),
    );
  }

  async expire(jobId: string, error: string): Promise<void> {
    await guard(() =>
      this.db
        .updateTable('batchMessageItems')
        .set({ status: 'failed', error, errorCode: 429 })
        .where('batchJobId', '=', jobId)
        .where('status', 'in', OPEN_ITEM)
        .execute(),
    );
    await this.recount(jobId);
  }

  async finish(jobId: string): Promise<BatchJob | undefined> {
    await this.recount(jobId);
    const row = await guard(() =>
      this.db
        .updateTable('batchJobs')
        .set({
          status: sql<string>`CASE WHEN sent_count > 0 THEN 'completed' ELSE 'failed' END`,
          queuedCount: 0,
          completedAt: new Date(),
          updatedAt: new Date(),
        })
        .where('id', '=', jobId)
        .where('status', 'not in', [...FINAL_JOB])
        .returningAll()
        .executeTakeFirst(),
    );
    return row ? toBatchJob(row) : this.get(jobId);
  }

  async cancel(jobId: string): Promise<BatchCancelResult | undefined> {
    return guard(() =>
      this.db.transaction().execute(async (tx) => {
        const job = await tx.selectFrom('batchJobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirst();
        if (!job || job.status === 'receiving') return undefined;
        if (FINAL_JOB.has(job.status)) return { kind: 'final', job: toBatchJob(job) } as const;
        const cancelled = await tx
          .updateTable('batchMessageItems')
          .set({ status: 'cancelled', error: 'batch job cancelled by user' })
          .where('batchJobId', '=', jobId)
          .where('status', 'in', OPEN_ITEM)
          .executeTakeFirst();
        await tx.executeQuery(CompiledQuery.raw(RECOUNT, [jobId]));
        const row = await tx
          .updateTable('batchJobs')
          .set({ status: 'cancelled', queuedCount: 0, completedAt: new Date(), updatedAt: new Date() })
          .where('id', '=', jobId)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { kind: 'cancelled', cancelledCount: Number(cancelled.numUpdatedRows), job: toBatchJob(row) } as const;
      }),
    );
  }

  async cancelItem(jobId: string, itemId: string): Promise<BatchItemCancelResult> {
    return guard(() =>
      this.db.transaction().execute(async (tx) => {
        const item = await tx
          .selectFrom('batchMessageItems')
          .select(['status'])
          .where('id', '=', itemId)
          .where('batchJobId', '=', jobId)
          .forUpdate()
          .executeTakeFirst();
        if (!item) return { kind: 'missing' } as const;
        if (!(OPEN_ITEM as readonly string[]).includes(item.status))
          return { kind: 'final', status: item.status as BatchItemStatus } as const;
        await tx
          .updateTable('batchMessageItems')
          .set({ status: 'cancelled', error: 'cancelled by user' })
          .where('id', '=', itemId)
          .execute();
        await tx
          .updateTable('batchJobs')
          .set((eb) => ({
            failedCount: eb('failedCount', '+', 1),
            queuedCount: item.status === 'queued' ? eb('queuedCount', '-', 1) : eb.ref('queuedCount'),
            updatedAt: new Date(),
          }))
          .where('id', '=', jobId)
          .execute();
        return { kind: 'cancelled' } as const;
      }),
    );
  }

  private async recount(jobId: string): Promise<void> {
    await guard(() => this.db.executeQuery(CompiledQuery.raw(RECOUNT, [jobId])));
  }
}
