import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { csvRows, type BatchCaller, type BatchFields, type BatchRow, type BatchService } from '../../batch/index.js';
import { UnavailableError, ValidationError } from '../../errors/index.js';
import { hasControlCharacter } from '../../text/index.js';
import { clientAuthOf, requireScope } from '../middleware/client-auth.js';
import { parseJson, readRawBody } from '../middleware/json-body.js';
import { fieldText, formBoundary, formParts, limited, type FormPart } from '../multipart.js';
import { first, parseHistoryDate, positive } from './history.js';

/**
 * A JSON batch is parsed whole, so its size is bounded here: about a hundred thousand short
 * recipients. Larger batches come as CSV, which is streamed.
 */
export const BATCH_JSON_LIMIT_BYTES = 32 * 1024 * 1024;
/** A CSV upload streams through, but is not endless: a hundred thousand rows fit many times over. */
export const BATCH_UPLOAD_LIMIT_BYTES = 256 * 1024 * 1024;
/** A form field other than the file: a template, a URL, a number. */
const FIELD_LIMIT_BYTES = 64 * 1024;
/** Upstream's page sizes (§5.10). */
const LIST_PER_PAGE = 50;
const LIST_MAX_PER_PAGE = 100;
const ITEMS_PER_PAGE = 100;
const ITEMS_MAX_PER_PAGE = 500;
const INVALID_BODY = 'Invalid request body';

type Query = Context['query'];

function page(query: Query, perPage: number, maxPerPage: number): { page: number; perPage: number } {
  return { page: positive(first(query, 'page'), 1), perPage: Math.min(positive(first(query, 'per_page'), perPage), maxPerPage) };
}

function filter(raw: string, name: string): string | undefined {
  if (raw === '') return undefined;
  if (hasControlCharacter(raw)) throw new ValidationError(`Invalid ${name} filter: it holds a control character`);
  return raw;
}

function caller(ctx: Context): BatchCaller {
  const { client, apiKey } = clientAuthOf(ctx);
  return { client, apiKey };
}

function setPageHeaders(ctx: Context, total: number, p: { page: number; perPage: number }): void {
  ctx.set('X-Total-Count', String(total));
  ctx.set('X-Page', String(p.page));
  ctx.set('X-Per-Page', String(p.perPage));
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** A JSON body's recipients (upstream §5.10); any shape but upstream's is "Invalid request body". */
function jsonRows(body: Record<string, unknown>): BatchRow[] {
  const messages = body.messages ?? [];
  if (!Array.isArray(messages)) throw new ValidationError(INVALID_BODY);
  return messages.map((m: unknown) => {
    if (typeof m !== 'object' || m === null) throw new ValidationError(INVALID_BODY);
    const { to, text, variables } = m as Record<string, unknown>;
    if (typeof to !== 'string' || (text !== undefined && typeof text !== 'string')) throw new ValidationError(INVALID_BODY);
    return { to, text: text ?? '', variables: variablesOf(variables) };
  });
}

/** Variables are strings; a number or boolean is taken as its text, as a CSV cell would be. */
function variablesOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(INVALID_BODY);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : String(v)]));
}

function jsonFields(body: Record<string, unknown>): BatchFields {
  return {
    from: str(body.from), textTemplate: str(body.text_template), webhookUrl: str(body.webhook_url),
    throttlePerSecond: num(body.throttle_per_second), maxRetryMins: num(body.max_retry_mins),
  };
}

async function jsonObject(ctx: Context, limitBytes: number): Promise<Record<string, unknown> | undefined> {
  const raw = await readRawBody(ctx, limitBytes);
  if (raw === undefined) return undefined;
  let body: unknown;
  try {
    body = parseJson(raw);
  } catch {
    throw new ValidationError(INVALID_BODY);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError(INVALID_BODY);
  return body as Record<string, unknown>;
}

/**
 * The rows of a multipart upload (upstream §5.10): the `csv` file, streamed through the CSV
 * reader; every other field is collected into `fields` as it passes (they may follow the file).
 */
async function* uploadRows(parts: AsyncIterable<FormPart>, fields: Map<string, string>): AsyncGenerator<BatchRow> {
  let sawCsv = false;
  for await (const part of parts) {
    if (part.name === 'csv' && !sawCsv) {
      sawCsv = true;
      yield* csvRows(part.body);
    } else if (part.filename === undefined) {
      fields.set(part.name, await fieldText(part.body, part.name, FIELD_LIMIT_BYTES));
    }
  }
  if (!sawCsv) throw new ValidationError('CSV file is required for multipart upload');
}

/** Upstream read these four form fields (not max_retry_mins); it is read here too. */
function formFields(fields: Map<string, string>): BatchFields {
  const number = (name: string) => {
    const value = Number((fields.get(name) ?? '').trim());
    return Number.isFinite(value) ? value : 0;
  };
  return {
    from: fields.get('from') ?? '', textTemplate: fields.get('text_template') ?? '', webhookUrl: fields.get('webhook_url') ?? '',
    throttlePerSecond: number('throttle_per_second'), maxRetryMins: number('max_retry_mins'),
  };
}

async function create(ctx: Context, batches: BatchService): Promise<void> {
  const boundary = formBoundary(ctx.get('Content-Type'));
  let created;
  if (boundary !== undefined) {
    const encoding = ctx.get('Content-Encoding').toLowerCase();
    if (encoding !== '' && encoding !== 'identity') {
      ctx.status = 415;
      ctx.body = { error: `Content-Encoding ${encoding} is not supported` };
      return;
    }
    const fields = new Map<string, string>();
    const parts = formParts(limited(ctx.req, BATCH_UPLOAD_LIMIT_BYTES), boundary);
    created = await batches.create(caller(ctx), uploadRows(parts, fields), () => formFields(fields));
  } else {
    const body = await jsonObject(ctx, BATCH_JSON_LIMIT_BYTES);
    if (body === undefined) return;
    const rows = jsonRows(body);
    created = await batches.create(caller(ctx), rows, () => jsonFields(body));
  }
  ctx.status = 202;
  ctx.body = created;
}

/**
 * The /messages/batch routes (upstream §5.10), behind client auth with the `batch` scope for
 * API keys. Any node answers for any batch: everything is read from the store.
 */
export function registerBatchRoutes(router: Router, deps: { batches?: BatchService }): void {
  const service = (): BatchService => {
    if (!deps.batches) throw new UnavailableError('batch sending is not configured on this node');
    return deps.batches;
  };
  const scope = requireScope('batch');
  router.post('/messages/batch', scope, (ctx) => create(ctx, service()));
  router.post('/messages/batch/check', scope, async (ctx) => {
    const body = await jsonObject(ctx, FIELD_LIMIT_BYTES);
    if (body === undefined) return;
    ctx.body = await service().check(caller(ctx), { from: str(body.from), messageCount: num(body.message_count), msgType: str(body.msg_type) });
  });
  router.get('/messages/batch', scope, async (ctx) => {
    const p = page(ctx.query, LIST_PER_PAGE, LIST_MAX_PER_PAGE);
    const result = await service().list(caller(ctx), {
      ...p, status: filter(first(ctx.query, 'status'), 'status'), from: filter(first(ctx.query, 'from'), 'from'),
      since: parseHistoryDate(first(ctx.query, 'since'), 'since', false),
      until: parseHistoryDate(first(ctx.query, 'until'), 'until', true),
    });
    setPageHeaders(ctx, result.total, p);
    ctx.body = result.body;
  });
  router.get('/messages/batch/:id', scope, async (ctx) => {
    ctx.body = await service().status(caller(ctx), ctx.params.id!);
  });
  router.get('/messages/batch/:id/messages', scope, async (ctx) => {
    const p = page(ctx.query, ITEMS_PER_PAGE, ITEMS_MAX_PER_PAGE);
    const result = await service().items(caller(ctx), ctx.params.id!, { ...p, status: filter(first(ctx.query, 'status'), 'status') });
    setPageHeaders(ctx, result.total, p);
    ctx.body = result.body;
  });
  router.post('/messages/batch/:id/cancel', scope, async (ctx) => {
    ctx.body = await service().cancel(caller(ctx), ctx.params.id!);
  });
  router.delete('/messages/batch/:id/messages/:msgId', scope, async (ctx) => {
    ctx.body = await service().cancelItem(caller(ctx), ctx.params.id!, ctx.params.msgId!);
  });
}
