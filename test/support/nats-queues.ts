import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { subjects } from '../../proto/subjects.js';
import { waitFor } from './wait.js';

/** The start of every stream name a node with BUS_SUBJECT_PREFIX `busPrefix` creates. */
export function streamNamePrefix(busPrefix: string): string {
  return subjects(busPrefix).streams.in.replace(/MSGGW_IN$/, '');
}

/**
 * Waits until no JetStream consumer on the server at `url` has a message undelivered or delivered
 * and not yet acknowledged. A message whose ack was lost is redelivered only after its ack wait,
 * so once this resolves every redelivery that could come has come. `busPrefix` (a node's
 * BUS_SUBJECT_PREFIX) limits it to that node's streams on a shared server.
 */
export async function waitForConsumersIdle(url: string, opts: { busPrefix?: string; timeoutMs?: number } = {}): Promise<void> {
  const nc = await connect({ servers: url });
  const only = opts.busPrefix === undefined ? undefined : streamNamePrefix(opts.busPrefix);
  try {
    const jsm = await jetstreamManager(nc);
    const busy = async (): Promise<boolean> => {
      let consumers = 0;
      for await (const stream of jsm.streams.list()) {
        if (only !== undefined && !stream.config.name.startsWith(only)) continue;
        for await (const consumer of jsm.consumers.list(stream.config.name)) {
          consumers++;
          if (consumer.num_ack_pending > 0 || consumer.num_pending > 0) return true;
        }
      }
      // No consumer at all would make this wait prove nothing.
      if (consumers === 0) throw new Error(`no JetStream consumer on ${url}`);
      return false;
    };
    await waitFor(async () => !(await busy()), opts.timeoutMs ?? 60_000);
  } finally {
    await nc.close();
  }
}
