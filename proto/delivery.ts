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
