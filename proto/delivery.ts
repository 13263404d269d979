import { z } from 'zod';
import { jsonCodec } from './codec.js';
import { egressSchema } from './message.js';
import { statusEventSchema } from './status.js';

/**
 * msg.out.webhook.*, msg.out.smpp.*, msg.out.mm4.*, version 1: what a client-facing egress
 * delivers — a routed message, or a delivery status for a message the client sent (a status
 * webhook, an SMPP delivery receipt, an MM4 delivery report).
 */
export const deliveryJobSchema = z.discriminatedUnion('kind', [
  z.object({ v: z.literal(1), kind: z.literal('message'), egress: egressSchema }),
  z.object({
    v: z.literal(1),
    kind: z.literal('status'),
    clientId: z.number().int().positive(),
    event: statusEventSchema,
  }),
]);
export type DeliveryJob = z.infer<typeof deliveryJobSchema>;
export const deliveryJobCodec = jsonCodec(deliveryJobSchema);

/**
 * msg.out.webhook.*, version 1, a finished batch job's completion webhook (upstream §15.1 step 6).
 * The body is read from the store when it is posted, so the job carries only where and which.
 */
export const batchWebhookJobSchema = z.object({
  v: z.literal(1),
  kind: z.literal('batch'),
  clientId: z.number().int().positive(),
  batchId: z.string().min(1),
  url: z.string().min(1),
});
export type BatchWebhookJob = z.infer<typeof batchWebhookJobSchema>;

/** What the webhook stream carries: a delivery job, or a batch's completion webhook. */
export const webhookJobSchema = z.discriminatedUnion('kind', [...deliveryJobSchema.options, batchWebhookJobSchema]);
export type WebhookJob = z.infer<typeof webhookJobSchema>;
export const webhookJobCodec = jsonCodec(webhookJobSchema);
