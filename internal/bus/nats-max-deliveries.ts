import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { DeadLetterReason } from '../../proto/dead-letter.js';
import type { DeadLetterSink } from './dead-letter-sink.js';
import type { ConsumerSpec } from './durable-types.js';
import type { BusLogger } from './types.js';

/** Queue group of the advisory subscriptions: one node of those consuming a durable handles each. */
const QUEUE = 'msggw-dead-letters';

/** The fields of nats-server's io.nats.jetstream.advisory.v1.max_deliver this file reads. */
interface MaxDeliverAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

export interface MaxDeliveriesOptions {
  nodeId: string;
  logger: BusLogger;
  manager(): Promise<JetStreamManager>;
}

/**
 * The JetStream half of "a last delivery whose ack wait ran out is dead-lettered". nats-server
 * 2.9 does not redeliver such a message and leaves it in a workqueue stream; it announces it
 * with a MAX_DELIVERIES advisory (core NATS) when the consumer next looks for work. Every node
 * consuming the durable listens in one queue group; the one that hears it reads the message by
 * sequence, stores its dead letter (deduplicated by stream and sequence) and deletes it from
 * the stream.
 *
 * Advisories are not stored: one sent while no node listened (every consumer of the durable
 * stopped in that instant) is missed, and that message stays until the stream's max age.
 */
export class MaxDeliveriesWatch {
  readonly #nc: NatsConnection;
  readonly #opts: MaxDeliveriesOptions;
  /** stream/durable → its subscription and how many consumers on this node use it. */
  readonly #subs = new Map<string, { sub: Subscription; users: number }>();

  constructor(nc: NatsConnection, opts: MaxDeliveriesOptions) {
    this.#nc = nc;
    this.#opts = opts;
  }

  /** Listens for the durable's advisories while the returned release is not called. */
  watch(spec: ConsumerSpec, sink: DeadLetterSink): () => void {
    const key = `${spec.stream}.${spec.durable}`;
    const held = this.#subs.get(key);
    if (held) held.users++;
    else {
      const sub = this.#nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${key}`, {
        queue: QUEUE,
        callback: (err, m) => {
          if (!err) void this.#onAdvisory(spec, sink, m.data);
        },
      });
      this.#subs.set(key, { sub, users: 1 });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const entry = this.#subs.get(key);
      if (!entry || --entry.users > 0) return;
      this.#subs.delete(key);
      if (!entry.sub.isClosed()) entry.sub.unsubscribe();
    };
  }

  async #onAdvisory(spec: ConsumerSpec, sink: DeadLetterSink, data: Uint8Array): Promise<void> {
    let seq = 0;
    try {
      const adv = JSON.parse(new TextDecoder().decode(data)) as MaxDeliverAdvisory;
      seq = adv.stream_seq;
      if (adv.stream !== spec.stream || !Number.isInteger(seq) || seq <= 0) return;
      const jsm = await this.#opts.manager();
      const stored = await jsm.streams.getMessage(spec.stream, { seq });
      // Gone already: acked by a late handler, or handled by another node.
      if (!stored) return;
      await sink({ subject: stored.subject, seq, deliveries: adv.deliveries, data: stored.data }, DeadLetterReason.ACK_WAIT, '');
      await jsm.streams.deleteMessage(spec.stream, seq, false).catch(() => false);
    } catch (err) {
      this.#opts.logger.warn(
        { err, node: this.#opts.nodeId, consumer: `${spec.stream}/${spec.durable}`, seq },
        'bus: could not dead-letter a message past maxDeliver; it stays in its stream until its max age',
      );
    }
  }

  /** Drops every subscription (the bus is stopping). */
  close(): void {
    for (const { sub } of this.#subs.values()) if (!sub.isClosed()) sub.unsubscribe();
    this.#subs.clear();
  }
}
