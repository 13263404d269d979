import { z } from 'zod';

/**
 * Value of one key `rx.<clientId>` of the SMPP receivers bucket (subjects.smppReceiverBucket),
 * version 1: the nodes that hold a receiving bind (receiver or transceiver) of the client, each
 * until when its claim holds unless renewed. Every node rewrites only its own entry, with a
 * revision check, and drops entries that lapsed (a dead node's), so readers need only the key.
 */
export const receiversSchema = z.object({
  v: z.literal(1),
  nodes: z.record(z.string(), z.object({
    /** Epoch ms: the node renews before then, else it is taken for gone. */
    until: z.number(),
    /** Peer IP of the node's first receiving bind, for status pages. */
    ip: z.string().default(''),
  })),
});
export type Receivers = z.infer<typeof receiversSchema>;

/** KV values are strings: JSON through the schema. */
export const receiversCodec = {
  encode: (value: Receivers): string => JSON.stringify(value),
  /** Throws for anything that is not a valid value. */
  decode: (text: string): Receivers => receiversSchema.parse(JSON.parse(text)),
};

/** The key of a client's receivers. */
export const receiversKey = (clientId: number): string => `rx.${clientId}`;
