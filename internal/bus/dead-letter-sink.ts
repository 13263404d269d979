import { deadLetter, deadLetterCodec, deadLetterMsgId, type DeadLetterReason } from '../../proto/dead-letter.js';
import type { ConsumerSpec, PublishAck, PublishOptions } from './durable-types.js';

/** The message being given up, as the sink needs it. */
export interface GivenUp {
  subject: string;
  seq: number;
  deliveries: number;
  data: Uint8Array;
}

/** Stores the dead letter of one message; resolves once the dead-letter stream acked it. */
export type DeadLetterSink = (msg: GivenUp, reason: DeadLetterReason, detail: string) => Promise<void>;

type PublishDurable = (subject: string, data: Uint8Array, opts: PublishOptions) => Promise<PublishAck>;

/**
 * The publish that dead-letters `m` for the consumer `spec` (which has a deadLetterSubject).
 * Shared by both buses and both paths (runner and ack wait), so the envelope and its dedup id
 * are the same whichever path gives a message up, and a message given up twice is stored once.
 */
export function deadLetterPublish(
  spec: ConsumerSpec & { deadLetterSubject: string },
  m: GivenUp,
  reason: DeadLetterReason,
  detail: string,
) {
  const letter = deadLetter(
    {
      stream: spec.stream,
      consumer: spec.durable,
      subject: m.subject,
      seq: m.seq,
      deliveries: m.deliveries,
      reason,
      detail,
      at: Date.now(),
    },
    m.data,
  );
  return { subject: spec.deadLetterSubject, data: deadLetterCodec.encode(letter), msgId: deadLetterMsgId(spec.stream, m.seq) };
}

/** The consumer's dead-letter sink, or undefined when it has no deadLetterSubject. */
export function deadLetterSink(spec: ConsumerSpec, publish: PublishDurable): DeadLetterSink | undefined {
  const to = spec.deadLetterSubject;
  if (!to) return undefined;
  return async (m, reason, detail) => {
    const p = deadLetterPublish({ ...spec, deadLetterSubject: to }, m, reason, detail);
    await publish(p.subject, p.data, { msgId: p.msgId });
  };
}
