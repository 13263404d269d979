import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { csvRows, type BatchCaller, type BatchFields, type BatchRow, type BatchService } from '../../batch/index.js';
import { UnavailableError, ValidationError } from '../../errors/index.js';
import { hasControlCharacter } from '../../text/index.js';
import type { ApiDocs, RouteDoc } from '../api-docs.js';
import { clientAuthOf, requireScope } from '../middleware/client-auth.js';
import { parseJson, readRawBody } from '../middleware/json-body.js';
import { fieldText, formBoundary, formParts, limited, type FormPart } from '../multipart.js';
import { parseQuery, queryParam } from '../validation.js';
import { batchCheckView, batchItemView, batchJobStatusView, batchJobView } from '../views.js';
import { parseHistoryDate, positive } from './history.js';

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
/** Upstream's one answer to a JSON body it could not decode into its request struct. */
const INVALID_BODY = 'Invalid request body';

/** A string field as Go decoded it: null is as good as absent (''). */
const text = () =>
  z
    .string()
    .nullish()
    .transform((value) => value ?? '');
/** A number field as Go decoded it: absent or null is 0. */
const number = () =>
  z
    .number()
    .nullish()
    .transform((value) => value ?? 0);

/** Variables are strings; a number or boolean is taken as its text, as a CSV cell would be. */
const variablesSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
  .nullish()
  .transform((value) => value ?? {})
  .meta({ description: 'template variables: {{key}} in text_template becomes the value' });

const recipientSchema = z.object({
  to: z.string().meta({ description: 'the recipient, E.164 in any spelling', example: '+14155550001' }),
  text: text().meta({ description: "the recipient's own text, instead of the template" }),
  variables: variablesSchema,
});

const FIELD = {
  from: "one of the client's numbers; may be left out when it has exactly one",
  textTemplate: "{{key}} is replaced by the recipient's variable; an unknown {{key}} stays as written",
  webhookUrl: 'http(s): the finished job is POSTed there',
  throttle: 'messages a second; ≤ 0 means 30',
  maxRetry: 'minutes quota-held items are retried; ≤ 0 means 60',
} as const;

/** The job's fields of a JSON batch (upstream §5.10). */
const jobFieldsSchema = {
  from: text().meta({ description: FIELD.from }),
  text_template: text().meta({ description: FIELD.textTemplate }),
  webhook_url: text().meta({ description: FIELD.webhookUrl }),
  throttle_per_second: number().meta({ description: FIELD.throttle }),
  max_retry_mins: number().meta({ description: FIELD.maxRetry }),
};

/** POST /messages/batch as JSON; any other shape is upstream's 400 "Invalid request body". */
const batchBodySchema = z.object({
  ...jobFieldsSchema,
  messages: z
    .array(recipientSchema)
    .nullish()
    .transform((value) => value ?? []),
});

/** A form field holding a number; what is no number is 0 (the default), as upstream's Atoi gave. */
const formNumber = (description: string) =>
  z
    .string()
    .optional()
    .transform((raw) => {
      const value = Number((raw ?? '').trim());
      return Number.isFinite(value) ? value : 0;
    })
    .meta({ description });

/** The text fields of a multipart batch, read once the whole body has passed (they may follow the file). */
const formFieldsSchema = z.object({
  from: z.string().default('').meta({ description: FIELD.from }),
  text_template: z.string().default('').meta({ description: FIELD.textTemplate }),
  webhook_url: z.string().default('').meta({ description: FIELD.webhookUrl }),
  throttle_per_second: formNumber(FIELD.throttle),
  max_retry_mins: formNumber(`${FIELD.maxRetry} (gomsggw did not read it from a form)`),
});

/** The multipart body as the API document shows it: the `csv` file and the fields. */
const uploadSchema = formFieldsSchema.extend({
  csv: z.string().meta({
    format: 'binary',
    description: "the CSV file: a header row naming a 'to' (or phone/number/destination) column, text/message/body, and variables",
  }),
});

/** POST /messages/batch/check. */
const checkBodySchema = z.object({
  from: text().meta({ description: FIELD.from }),
  message_count: number().meta({ description: 'messages the batch would send; must be > 0' }),
  msg_type: text().meta({ description: 'sms (default) or mms' }),
});

/** A filter that is no filter when empty; a control character (it would fail the database query) is a 400. */
const filter = (name: string, description: string) =>
  queryParam((raw) => {
    if (raw === '') return undefined;
    if (hasControlCharacter(raw)) throw new ValidationError(`Invalid ${name} filter: it holds a control character`);
    return raw;
  }).meta({ description });

const pageParams = (perPage: number, maxPerPage: number) => ({
  page: queryParam((raw) => positive(raw, 1)).meta({ description: 'default 1' }),
  per_page: queryParam((raw) => Math.min(positive(raw, perPage), maxPerPage)).meta({
    description: `default ${perPage}, at most ${maxPerPage}`,
  }),
});

/** GET /messages/batch; a repeated parameter counts once (its first value). */
const listQuerySchema = z.object({
  status: filter('status', 'pending, processing, partially_queued, completed, failed or cancelled'),
  from: filter('from', 'the sending number, with or without +'),
  since: queryParam((raw) => parseHistoryDate(raw, 'since', false)).meta({ description: 'YYYY-MM-DD (UTC) or RFC 3339' }),
  until: queryParam((raw) => parseHistoryDate(raw, 'until', true)).meta({
    description: 'YYYY-MM-DD (UTC, the whole day included) or RFC 3339',
  }),
  ...pageParams(LIST_PER_PAGE, LIST_MAX_PER_PAGE),
});

/** GET /messages/batch/{id}/messages. */
const itemsQuerySchema = z.object({
  status: filter('status', 'pending, sent, queued, failed or cancelled'),
  ...pageParams(ITEMS_PER_PAGE, ITEMS_MAX_PER_PAGE),
});

const jobParams = z.object({ id: z.string().meta({ description: 'the job id (a UUID)' }) });
const itemParams = jobParams.extend({ msgId: z.string().meta({ description: "the item's id (a UUID)" }) });

function caller(ctx: Context): BatchCaller {
  const { client, apiKey } = clientAuthOf(ctx);
  return { client, apiKey };
}

function setPageHeaders(ctx: Context, total: number, p: { page: number; perPage: number }): void {
  ctx.set('X-Total-Count', String(total));
  ctx.set('X-Page', String(p.page));
  ctx.set('X-Per-Page', String(p.perPage));
}

function batchFields(body: z.output<typeof formFieldsSchema>): BatchFields {
  return {
    from: body.from,
    textTemplate: body.text_template,
    webhookUrl: body.webhook_url,
    throttlePerSecond: body.throttle_per_second,
    maxRetryMins: body.max_retry_mins,
  };
}

/**
 * The JSON body read by `schema`, or undefined when the body was refused already (413, 415).
 * Whatever cannot be read, malformed JSON included, is upstream's 400 "Invalid request body".
 */
async function decodedBody<S extends z.ZodType>(ctx: Context, schema: S, limitBytes: number): Promise<z.output<S> | undefined> {
  const raw = await readRawBody(ctx, limitBytes);
  if (raw === undefined) return undefined;
  let body: unknown;
  try {
    body = parseJson(raw);
  } catch {
    throw new ValidationError(INVALID_BODY);
  }
  const result = schema.safeParse(body);
  if (!result.success) throw new ValidationError(INVALID_BODY);
  return result.data;
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
    created = await batches.create(caller(ctx), uploadRows(parts, fields), () =>
      batchFields(formFieldsSchema.parse(Object.fromEntries(fields))),
    );
  } else {
    const body = await decodedBody(ctx, batchBodySchema, BATCH_JSON_LIMIT_BYTES);
    if (body === undefined) return;
    const rows: BatchRow[] = body.messages.map((m) => ({ to: m.to, text: m.text, variables: m.variables }));
    created = await batches.create(caller(ctx), rows, () => batchFields(body));
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
    const body = await decodedBody(ctx, checkBodySchema, FIELD_LIMIT_BYTES);
    if (body === undefined) return;
    ctx.body = await service().check(caller(ctx), { from: body.from, messageCount: body.message_count, msgType: body.msg_type });
  });
  router.get('/messages/batch', scope, async (ctx) => {
    const { per_page: perPage, ...query } = parseQuery(listQuerySchema, ctx.query);
    const result = await service().list(caller(ctx), { ...query, perPage });
    setPageHeaders(ctx, result.total, result);
    ctx.body = result.body;
  });
  router.get('/messages/batch/:id', scope, async (ctx) => {
    ctx.body = await service().status(caller(ctx), ctx.params.id!);
  });
  router.get('/messages/batch/:id/messages', scope, async (ctx) => {
    const { per_page: perPage, ...query } = parseQuery(itemsQuerySchema, ctx.query);
    const result = await service().items(caller(ctx), ctx.params.id!, { ...query, perPage });
    setPageHeaders(ctx, result.total, result);
    ctx.body = result.body;
  });
  router.post('/messages/batch/:id/cancel', scope, async (ctx) => {
    ctx.body = await service().cancel(caller(ctx), ctx.params.id!);
  });
  router.delete('/messages/batch/:id/messages/:msgId', scope, async (ctx) => {
    ctx.body = await service().cancelItem(caller(ctx), ctx.params.id!, ctx.params.msgId!);
  });
}

const createdView = z.object({
  id: z.string().meta({ description: 'the job id (a UUID)' }),
  status: z.literal('pending'),
  total_count: z.number().int(),
});
const cancelledView = z.object({
  message: z.literal('Batch job cancelled'),
  job_id: z.string(),
  status: z.literal('cancelled'),
  cancelled_count: z.number().int(),
  sent_count: z.number().int(),
});
const itemCancelledView = z.object({ message: z.literal('Message cancelled'), message_id: z.string(), status: z.literal('cancelled') });
const PAGED = 'A page by the query, also counted in X-Total-Count, X-Page and X-Per-Page';

type BatchRouteDoc = Omit<RouteDoc, 'tag' | 'auth'>;

/** A batch route's entry: client auth, the scope named, and the refusals every batch route shares. */
function batchRoute(api: ApiDocs, doc: BatchRouteDoc): void {
  api.route({
    ...doc,
    tag: 'Batches',
    auth: 'client',
    summary: `${doc.summary} (API keys: scope batch)`,
    responses: {
      403: { description: 'A key without the batch scope, a legacy client, or a from number the caller may not use' },
      503: { description: 'Batch sending is not configured on this node' },
      ...doc.responses,
    },
  });
}

/** The API document's entries for registerBatchRoutes. */
export function documentBatchRoutes(api: ApiDocs): void {
  batchRoute(api, {
    method: 'post',
    path: '/messages/batch',
    summary: 'Send one text or template to many recipients',
    description:
      'As JSON (up to 32 MiB), or as multipart/form-data with the file `csv` and the same fields as text, ' +
      'in any order (streamed, up to 256 MiB). Errors keep gomsggw\'s texts: "Invalid request body", "No messages provided", ' +
      '"CSV file is required for multipart upload".',
    body: batchBodySchema,
    form: uploadSchema,
    responses: {
      202: { description: 'Stored; the batch is sent by whichever node takes it', schema: createdView },
      415: { description: 'A compressed (Content-Encoding) upload' },
    },
  });
  batchRoute(api, {
    method: 'post',
    path: '/messages/batch/check',
    summary: 'Would a batch fit what is left of the limits; sends nothing',
    body: checkBodySchema,
    responses: { 200: { description: 'The limits and whether the batch fits', schema: batchCheckView } },
  });
  batchRoute(api, {
    method: 'get',
    path: '/messages/batch',
    summary: "The caller's batch jobs, newest first",
    query: listQuerySchema,
    responses: { 200: { description: PAGED, schema: z.array(batchJobView) } },
  });
  batchRoute(api, {
    method: 'get',
    path: '/messages/batch/{id}',
    summary: 'A batch job with its progress and failed items',
    params: jobParams,
    responses: { 200: { description: 'The job', schema: batchJobStatusView } },
  });
  batchRoute(api, {
    method: 'get',
    path: '/messages/batch/{id}/messages',
    summary: "A batch job's items by index",
    params: jobParams,
    query: itemsQuerySchema,
    responses: { 200: { description: PAGED, schema: z.array(batchItemView) } },
  });
  batchRoute(api, {
    method: 'post',
    path: '/messages/batch/{id}/cancel',
    summary: "Cancel a batch job's items not yet sent",
    params: jobParams,
    responses: {
      200: { description: 'Cancelled', schema: cancelledView },
      409: { description: 'The job is already completed, failed or cancelled (`status`, `detail`)' },
    },
  });
  batchRoute(api, {
    method: 'delete',
    path: '/messages/batch/{id}/messages/{msgId}',
    summary: 'Cancel one pending or queued item',
    params: itemParams,
    responses: {
      200: { description: 'Cancelled', schema: itemCancelledView },
      409: { description: 'The item is already sent, failed or cancelled (`status`, `detail`)' },
    },
  });
}
