import { z } from 'zod';
import { jsonCodec } from './codec.js';
import { egressSchema } from './message.js';

/**
 * ledger.repair, version 1: a send that succeeded (a carrier accepted it, an ESME answered its
 * deliver_sm, a webhook or MM4 peer took it) whose ledger write failed. Any node's ledger repair
 * writes it once the database takes writes again; the send itself is never repeated.
 */
export const sentRecordSchema = z.object({
  v: z.literal(1),
  egress: egressSchema,
  /** The legs' status: 'sent' to a carrier, 'delivered' to a client. */
  status: z.enum(['sent', 'delivered']),
  /** The carrier's id for the message (carrier sends). */
  carrierMsgId: z.string().optional(),
  /** Also publish the 'delivered' status event to the sender (SMPP and MM4 egress do). */
  reportDelivered: z.boolean().default(false),
});
export type SentRecord = z.infer<typeof sentRecordSchema>;
export const sentRecordCodec = jsonCodec(sentRecordSchema);
