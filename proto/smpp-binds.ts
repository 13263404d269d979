import { z } from 'zod';

/**
 * Value of one key `bind.<clientId>` of the SMPP binds bucket (subjects.smppBindBucket), version
 * 1: every bind of the client, grouped by the node holding it, each node's group valid until its
 * `until` unless renewed. Every node rewrites only its own group, with a revision check, and drops
 * groups that lapsed (a dead node's), so one read of the key answers every question about the
 * client's binds: online, ESME IP, who can receive, how many binds count against max_binds.
 */
export const bindsSchema = z.object({
  v: z.literal(1),
  nodes: z.record(
    z.string(),
    z.object({
      /** Epoch ms: the node renews before then, else its binds are taken for gone. */
      until: z.number(),
      binds: z.array(
        z.object({
          session: z.string(),
          /** The ESME's IP (the peer's, or the one a PROXY header named). */
          ip: z.string().default(''),
          mode: z.enum(['transmitter', 'receiver', 'transceiver']),
        }),
      ),
    }),
  ),
});
export type ClientBinds = z.infer<typeof bindsSchema>;

/** KV values are strings: JSON through the schema. */
export const bindsCodec = {
  encode: (value: ClientBinds): string => JSON.stringify(value),
  /** Throws for anything that is not a valid value. */
  decode: (text: string): ClientBinds => bindsSchema.parse(JSON.parse(text)),
};

/** The key of a client's binds. */
export const bindsKey = (clientId: number): string => `bind.${clientId}`;
