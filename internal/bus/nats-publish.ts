import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { ClosedConnectionError, DrainingConnectionError, RequestError } from '@nats-io/transport-node';
import { OutcomeUnknownError, UnavailableError } from '../errors/index.js';
import type { PublishAck } from './durable-types.js';

/**
 * A JetStream publish with `js.publish`, its failure told as what is known:
 * - UnavailableError, certainly not stored: no stream takes the subject (no responders),
 *   JetStream answered with an error, or the publish was never written (connection closed or
 *   draining).
 * - OutcomeUnknownError, maybe stored: the message was written and no answer came in time, the
 *   connection closed before it, or the answer cannot be read. A stream may hold it (a PubAck
 *   lost in a server restart), so the caller keeps its units and may resend with the same
 *   Nats-Msg-Id, which the stream's dedup window takes once.
 */
export async function publishAcked(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  msgId: string | undefined,
  timeoutMs: number,
): Promise<PublishAck> {
  try {
    const pa = await js.publish(subject, data, { ...(msgId !== undefined ? { msgID: msgId } : {}), timeout: timeoutMs });
    return { stream: pa.stream, seq: pa.seq, duplicate: pa.duplicate };
  } catch (err) {
    if (notStored(err)) {
      throw new UnavailableError(`publish to ${subject} was not stored (no stream for it, or JetStream unavailable)`, { cause: err });
    }
    throw new OutcomeUnknownError(`publish to ${subject}: no answer said whether it was stored`, { cause: err });
  }
}

/**
 * What js.publish throws when nothing was stored. No responders and "JetStream not enabled"
 * come as JetStreamNotEnabled (not exported), told by its cause.
 */
function notStored(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return true;
  if (err instanceof ClosedConnectionError || err instanceof DrainingConnectionError) return true;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return cause instanceof JetStreamApiError || (cause instanceof RequestError && cause.isNoResponders());
}
