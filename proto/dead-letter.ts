import { z } from 'zod';
import { jsonCodec } from './codec.js';

/**
 * Why the bus gave a message up; a closed set, so it can label a metric.
 * - `retry`: the handler asked for a retry on the last delivery maxDeliver allows;
 * - `error`: the handler threw on that last delivery;
 * - `ack_wait`: the last delivery was never answered (its node died, or the ack was lost) and
 *   its ack wait ran out.
 */
export const DeadLetterReason = {
  RETRY: 'retry',
  ERROR: 'error',
  ACK_WAIT: 'ack_wait',
} as const;
export type DeadLetterReason = (typeof DeadLetterReason)[keyof typeof DeadLetterReason];

/** Longest `detail` kept: a handler's error text may be long and is only for an operator. */
export const DEAD_LETTER_DETAIL_MAX = 500;

/**
 * dlq.<stream>, version 1: a message a durable consumer gave up on, with where it came from,
 * so an operator can see why and replay it to `subject`. `data` is the original payload,
 * unchanged (base64), whatever codec it was written with.
 */
export const deadLetterSchema = z.object({
  v: z.literal(1),
  /** The stream, durable consumer, subject and stream sequence it was given up from. */
  stream: z.string().min(1),
  consumer: z.string().min(1),
  subject: z.string().min(1),
  seq: z.number().int().nonnegative(),
  /** Deliveries made before it was given up. */
  deliveries: z.number().int().nonnegative(),
  reason: z.enum([DeadLetterReason.RETRY, DeadLetterReason.ERROR, DeadLetterReason.ACK_WAIT]),
  /** A line for the operator (the handler's error), at most DEAD_LETTER_DETAIL_MAX characters. */
  detail: z.string().max(DEAD_LETTER_DETAIL_MAX),
  /** Epoch ms when it was given up. */
  at: z.number().int(),
  data: z.string(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;
export const deadLetterCodec = jsonCodec(deadLetterSchema);

/** The envelope for `payload` given up from `where` (detail cut to its bound). */
export function deadLetter(where: Omit<DeadLetter, 'v' | 'data' | 'detail'> & { detail?: string }, payload: Uint8Array): DeadLetter {
  return { v: 1, ...where, detail: (where.detail ?? '').slice(0, DEAD_LETTER_DETAIL_MAX), data: Buffer.from(payload).toString('base64') };
}

/** The original payload of a dead letter. */
export function deadLetterPayload(letter: DeadLetter): Uint8Array {
  return new Uint8Array(Buffer.from(letter.data, 'base64'));
}

/** Dedup id of the dead letter for one stream message: the runner and the advisory path agree on it. */
export function deadLetterMsgId(stream: string, seq: number): string {
  return `dl:${stream}:${seq}`;
}
