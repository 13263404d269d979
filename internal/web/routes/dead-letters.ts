import type { Router } from '@koa/router';
import { z } from 'zod';
import type { DeadLetterEntry } from '../../bus/index.js';
import { GatewayError, UnavailableError } from '../../errors/index.js';
import type { ApiDocs } from '../api-docs.js';
import type { WebDeps } from '../types.js';
import { onceInQuery, parseBody, parseId, parseQuery, pathIds } from '../validation.js';
import { deadLetterView } from '../views.js';

/** Largest page and batch (the bus's MAX_DEAD_LETTER_PAGE). */
const MAX_PAGE = 100;

const batchSchema = z
  .union([
    z.object({ seqs: z.array(z.number().int().min(1)).min(1).max(MAX_PAGE) }).strict(),
    z.object({ stream: z.string().min(1).optional(), limit: z.number().int().min(1).max(MAX_PAGE).optional() }).strict(),
  ])
  .meta({ id: 'DeadLetterReplay', description: 'The given seqs, or the oldest `limit` of a stream (all streams when none)' });

/** A dead letter as the admin API shows it; `withPayload` adds the original bytes (base64). */
function deadLetterDto(e: DeadLetterEntry, withPayload = false): z.input<typeof deadLetterView> {
  const l = e.letter;
  return {
    seq: e.seq,
    stream: l.stream,
    consumer: l.consumer,
    subject: l.subject,
    stream_seq: l.seq,
    deliveries: l.deliveries,
    reason: l.reason,
    detail: l.detail,
    dead_at: new Date(l.at).toISOString(),
    stored_at: new Date(e.storedAt).toISOString(),
    size_bytes: Buffer.byteLength(l.data, 'base64'),
    ...(withPayload ? { payload_base64: l.data } : {}),
  };
}

/** `?name=` as a whole number ≥ min, given once. */
function wholeNumber(name: string, min: number) {
  const message = `${name} must be a whole number of at least ${min}`;
  return onceInQuery(
    z
      .string()
      .regex(/^\d{1,10}$/, message)
      .transform(Number)
      .pipe(z.number().min(min, message)),
    message,
  );
}

const STREAM_GIVEN_ONCE = 'stream must be given once and not be empty';

const listQuery = z.object({
  stream: onceInQuery(z.string().min(1, STREAM_GIVEN_ONCE), STREAM_GIVEN_ONCE).meta({
    description: 'a stream name (MSGGW_CARRIER) or its stage (in, carrier, webhook, smpp, mm4, status, media)',
  }),
  after: wholeNumber('after', 0).meta({ description: 'the next_after of the previous page' }),
  limit: wholeNumber('limit', 1).meta({ description: `at most ${MAX_PAGE} (the default)` }),
});

/**
 * The dead letters (messages the bus gave up after maxDeliver; docs/admin-api.md): list with a
 * stream filter and paging, show one with its payload, replay one or a batch to the original
 * subject, delete one.
 */
export function registerDeadLetterRoutes(router: Router, deps: WebDeps): void {
  const store = () => {
    if (!deps.deadLetters) throw new UnavailableError('dead letters are not available on this node');
    return deps.deadLetters;
  };
  const seqOf = (raw: string | undefined) => parseId(raw, 'Invalid dead letter ID');

  router.get('/dead-letters', async (ctx) => {
    const query = parseQuery(listQuery, ctx.query);
    const page = await store().list({ ...query, limit: Math.min(query.limit ?? MAX_PAGE, MAX_PAGE) });
    ctx.body = {
      dead_letters: page.items.map((e) => deadLetterDto(e)),
      ...(page.next ? { next_after: page.next } : {}),
    } satisfies z.input<typeof deadLetterPage>;
  });

  router.get('/dead-letters/:seq', async (ctx) => {
    ctx.body = deadLetterDto(await store().get(seqOf(ctx.params.seq)), true);
  });

  router.post('/dead-letters/:seq/replay', async (ctx) => {
    const r = await store().replay(seqOf(ctx.params.seq));
    ctx.body = { message: 'Dead letter replayed', seq: r.seq, subject: r.subject, stream_seq: r.streamSeq } satisfies z.input<
      typeof replayedView
    >;
  });

  // A batch: the given seqs, or the oldest `limit` of a stream (all streams when none).
  router.post('/dead-letters/replay', async (ctx) => {
    const input = parseBody(batchSchema, ctx.request.body ?? {});
    const s = store();
    const seqs =
      'seqs' in input ? input.seqs : (await s.list({ stream: input.stream, limit: input.limit ?? MAX_PAGE })).items.map((e) => e.seq);
    const replayed: Array<{ seq: number; subject: string; stream_seq: number }> = [];
    const failed: Array<{ seq: number; error: string }> = [];
    for (const seq of seqs) {
      try {
        const r = await s.replay(seq);
        replayed.push({ seq: r.seq, subject: r.subject, stream_seq: r.streamSeq });
      } catch (err) {
        failed.push({ seq, error: err instanceof GatewayError && err.expose ? err.message : 'internal error' });
      }
    }
    ctx.body = { replayed, failed } satisfies z.input<typeof batchReplayedView>;
  });

  router.delete('/dead-letters/:seq', async (ctx) => {
    const seq = seqOf(ctx.params.seq);
    await store().delete(seq);
    ctx.body = { message: 'Dead letter deleted', seq } satisfies z.input<typeof deletedView>;
  });
}

const deadLetterPage = z.object({ dead_letters: z.array(deadLetterView), next_after: z.number().int().optional() });
const replayed = { seq: z.number().int(), subject: z.string(), stream_seq: z.number().int() };
const replayedView = z.object({ message: z.string(), ...replayed });
const batchReplayedView = z.object({
  replayed: z.array(z.object(replayed)),
  failed: z.array(z.object({ seq: z.number().int(), error: z.string() })),
});
const deletedView = z.object({ message: z.string(), seq: z.number().int() });

/** The API document's entries for registerDeadLetterRoutes. */
export function documentDeadLetterRoutes(api: ApiDocs): void {
  const base = { tag: 'Dead letters', auth: 'admin' } as const;
  const unavailable = { 503: { description: 'This node has no dead-letter stream' } };
  api.route({
    ...base,
    method: 'get',
    path: '/dead-letters',
    summary: 'List dead letters, oldest first',
    query: listQuery,
    responses: { 200: { description: 'A page', schema: deadLetterPage }, ...unavailable },
  });
  api.route({
    ...base,
    method: 'get',
    path: '/dead-letters/{seq}',
    summary: 'Show a dead letter with its payload',
    params: pathIds('seq'),
    responses: { 200: { description: 'The dead letter', schema: deadLetterView }, ...unavailable },
  });
  api.route({
    ...base,
    method: 'post',
    path: '/dead-letters/{seq}/replay',
    summary: 'Publish a dead letter to its subject again',
    params: pathIds('seq'),
    responses: { 200: { description: 'Replayed and deleted', schema: replayedView }, ...unavailable },
  });
  api.route({
    ...base,
    method: 'post',
    path: '/dead-letters/replay',
    summary: 'Replay a batch of dead letters',
    body: batchSchema,
    responses: { 200: { description: 'What was replayed and what failed', schema: batchReplayedView }, ...unavailable },
  });
  api.route({
    ...base,
    method: 'delete',
    path: '/dead-letters/{seq}',
    summary: 'Delete a dead letter',
    params: pathIds('seq'),
    responses: { 200: { description: 'Deleted', schema: deletedView }, ...unavailable },
  });
}
