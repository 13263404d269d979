import type { Router } from '@koa/router';
import { z } from 'zod';
import type { DeadLetterEntry } from '../../bus/index.js';
import { GatewayError, UnavailableError, ValidationError } from '../../errors/index.js';
import type { WebDeps } from '../types.js';
import { parseBody, parseId } from '../validation.js';

/** Largest page and batch (the bus's MAX_DEAD_LETTER_PAGE). */
const MAX_PAGE = 100;

const batchSchema = z.union([
  z.object({ seqs: z.array(z.number().int().min(1)).min(1).max(MAX_PAGE) }).strict(),
  z.object({ stream: z.string().min(1).optional(), limit: z.number().int().min(1).max(MAX_PAGE).optional() }).strict(),
]);

/** A dead letter as the admin API shows it; `withPayload` adds the original bytes (base64). */
function deadLetterDto(e: DeadLetterEntry, withPayload = false) {
  const l = e.letter;
  return {
    seq: e.seq, stream: l.stream, consumer: l.consumer, subject: l.subject, stream_seq: l.seq,
    deliveries: l.deliveries, reason: l.reason, detail: l.detail,
    dead_at: new Date(l.at).toISOString(), stored_at: new Date(e.storedAt).toISOString(),
    size_bytes: Buffer.byteLength(l.data, 'base64'),
    ...(withPayload ? { payload_base64: l.data } : {}),
  };
}

/** `?name=` as a whole number ≥ min, or undefined when absent; 400 otherwise. */
function queryNumber(raw: unknown, name: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,10}$/.test(raw) || Number(raw) < min) {
    throw new ValidationError(`${name} must be a whole number of at least ${min}`);
  }
  return Number(raw);
}

function queryText(raw: unknown, name: string): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '') throw new ValidationError(`${name} must be given once and not be empty`);
  return raw;
}

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
    const page = await store().list({
      stream: queryText(ctx.query.stream, 'stream'),
      after: queryNumber(ctx.query.after, 'after', 0),
      limit: Math.min(queryNumber(ctx.query.limit, 'limit', 1) ?? MAX_PAGE, MAX_PAGE),
    });
    ctx.body = { dead_letters: page.items.map((e) => deadLetterDto(e)), ...(page.next ? { next_after: page.next } : {}) };
  });

  router.get('/dead-letters/:seq', async (ctx) => {
    ctx.body = deadLetterDto(await store().get(seqOf(ctx.params.seq)), true);
  });

  router.post('/dead-letters/:seq/replay', async (ctx) => {
    const r = await store().replay(seqOf(ctx.params.seq));
    ctx.body = { message: 'Dead letter replayed', seq: r.seq, subject: r.subject, stream_seq: r.streamSeq };
  });

  // A batch: the given seqs, or the oldest `limit` of a stream (all streams when none).
  router.post('/dead-letters/replay', async (ctx) => {
    const input = parseBody(batchSchema, ctx.request.body ?? {});
    const s = store();
    const seqs = 'seqs' in input
      ? input.seqs
      : (await s.list({ stream: input.stream, limit: input.limit ?? MAX_PAGE })).items.map((e) => e.seq);
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
    ctx.body = { replayed, failed };
  });

  router.delete('/dead-letters/:seq', async (ctx) => {
    const seq = seqOf(ctx.params.seq);
    await store().delete(seq);
    ctx.body = { message: 'Dead letter deleted', seq };
  });
}
