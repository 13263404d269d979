import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors/index.js';
import {
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_MAX_ACK_PENDING,
  type ConsumeOptions,
  type Consumer,
  type ConsumerState,
  type ConsumerSpec,
  type DurableHandler,
  type KvBucket,
  type PublishAck,
  type PublishOptions,
  type StreamMessage,
  type StreamSpec,
  type StreamState,
} from './durable-types.js';
import { deadLetterSink } from './dead-letter-sink.js';
import { normalizeStreamSpec, type NormalizedStreamSpec } from './memory-stream.js';
import { NatsConsumer } from './nats-consumer.js';
import { MaxDeliveriesWatch } from './nats-max-deliveries.js';
import { NatsKv } from './nats-kv.js';
import { PubAcks } from './nats-pub-acks.js';
import { assertName, assertPublishSubject, assertSubscribeSubject } from './subject.js';
import type { BusLogger } from './types.js';

/** JetStream API error codes this file acts on (nats-server errors.json). */
const STREAM_NAME_IN_USE = 10058;
const SUBJECTS_OVERLAP = 10065;
const CONSUMER_ALREADY_EXISTS = 10148;
const CONSUMER_NOT_UNIQUE_ON_WORKQUEUE = 10100;
/** Deleting a message that is gone: "sequence not found", or past the end, "stream store EOF". */
const SEQUENCE_NOT_FOUND = 10043;
const STREAM_STORE_EOF = 10057;

export interface NatsJetStreamOptions {
  nodeId: string;
  logger: BusLogger;
  drainTimeoutMs: number;
  handlerRetryMs: number;
  /** Publishes and KV writes without a timeout of their own wait this long for the server's ack. */
  publishTimeoutMs: number;
}

/**
 * The durable half of NatsBus: JetStream streams, acknowledged publishes, durable pull
 * consumers and KV buckets over the bus's connection. Targets nats-server 2.9 (no per-message
 * or per-key TTL, one filter subject per consumer).
 */
export class NatsJetStream {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  /** Made at the first publish: a node that only consumes holds no reply subscription. */
  #pubAcks?: PubAcks;
  readonly #jsm: Promise<JetStreamManager>;
  readonly #opts: NatsJetStreamOptions;
  readonly #consumers = new Set<NatsConsumer>();
  readonly #maxDeliveries: MaxDeliveriesWatch;

  constructor(nc: NatsConnection, opts: NatsJetStreamOptions) {
    this.#nc = nc;
    this.#js = jetstream(nc);
    // No API check: a bus without JetStream still serves core messaging; calls fail when used.
    this.#jsm = jetstreamManager(nc, { checkAPI: false });
    this.#jsm.catch(() => undefined);
    this.#opts = opts;
    this.#maxDeliveries = new MaxDeliveriesWatch(nc, { nodeId: opts.nodeId, logger: opts.logger, manager: () => this.#manager() });
  }

  async ensureStream(spec: StreamSpec): Promise<void> {
    const want = normalizeStreamSpec(spec);
    const jsm = await this.#manager();
    const config = streamConfig(want);
    if (await this.#added(jsm, want.name, config)) return;
    // It exists with another configuration (an older node, or a changed spec): update it.
    const info = await jsm.streams.info(want.name).catch((err: unknown) => {
      throw unavailable(`cannot read stream ${want.name}`, err);
    });
    if (info.config.retention !== config.retention || info.config.storage !== config.storage) {
      throw new ConflictError(
        `stream ${want.name} exists with retention ${info.config.retention}/${info.config.storage}; it cannot change`,
      );
    }
    try {
      await jsm.streams.update(want.name, {
        ...info.config,
        subjects: config.subjects,
        max_age: config.max_age,
        max_bytes: config.max_bytes,
        duplicate_window: config.duplicate_window,
      });
    } catch (err) {
      if (apiCode(err) === SUBJECTS_OVERLAP)
        throw new ConflictError(`stream ${want.name}: subjects overlap another stream`, { cause: err });
      throw unavailable(`cannot update stream ${want.name}`, err);
    }
  }

  /**
   * Adds the stream; true when this call created it (or an identical one existed), false when
   * one of that name exists with another configuration. Nodes starting together race to add the
   * same stream, and nats-server 2.9 may answer the loser "subjects overlap" rather than "name
   * in use" while the winner's stream is being registered: when a stream of our name then
   * exists, it is that case, not a real overlap.
   */
  async #added(jsm: JetStreamManager, name: string, config: StreamConfig): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await jsm.streams.add(config);
        return true;
      } catch (err) {
        if (apiCode(err) === STREAM_NAME_IN_USE) return false;
        if (apiCode(err) !== SUBJECTS_OVERLAP) throw unavailable(`cannot create stream ${name}`, err);
        if (
          await jsm.streams.info(name).then(
            () => true,
            () => false,
          )
        )
          return false;
        if (attempt >= 3) throw new ConflictError(`stream ${name}: subjects overlap another stream`, { cause: err });
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  publish(subject: string, data: Uint8Array, opts: PublishOptions): Promise<PublishAck> {
    assertPublishSubject(subject);
    this.#pubAcks ??= new PubAcks(this.#nc);
    return this.#pubAcks.publish(subject, data, opts.msgId, opts.timeoutMs ?? this.#opts.publishTimeoutMs);
  }

  async consume(spec: ConsumerSpec, handler: DurableHandler, opts: ConsumeOptions): Promise<Consumer> {
    assertName(spec.stream, 'stream');
    assertName(spec.durable, 'durable');
    assertSubscribeSubject(spec.filterSubject);
    const sink = deadLetterSink(spec, (subject, data, o) => this.publish(subject, data, o));
    const consumer = new NatsConsumer(this.#js, this.#nc, spec, handler, {
      nodeId: this.#opts.nodeId,
      logger: this.#opts.logger,
      concurrency: Math.max(1, opts.concurrency ?? 1),
      drainTimeoutMs: this.#opts.drainTimeoutMs,
      handlerRetryMs: this.#opts.handlerRetryMs,
      ensure: () => this.#ensureConsumer(spec),
      deadLetter: sink,
    });
    // Listening before the first pull: the advisory is sent when a pull meets the message.
    const release = sink && (spec.maxDeliver ?? 0) > 0 ? this.#maxDeliveries.watch(spec, sink) : () => undefined;
    try {
      await consumer.start();
    } catch (err) {
      release();
      throw err;
    }
    this.#consumers.add(consumer);
    return {
      stop: async () => {
        await consumer.stop();
        release();
        this.#consumers.delete(consumer);
      },
    };
  }

  async readMessage(stream: string, seq: number, filterSubject?: string): Promise<StreamMessage | null> {
    assertName(stream, 'stream');
    const jsm = await this.#manager();
    // nats-server 2.9's STREAM.MSG.GET takes next_by_subj (the first match at or after seq);
    // nats.js types only the direct-get form of it.
    const query = { seq: Math.max(1, seq), next_by_subj: filterSubject ?? '>' } as unknown as { seq: number };
    try {
      const m = await jsm.streams.getMessage(stream, query);
      return m ? { seq: m.seq, subject: m.subject, data: m.data, storedAt: m.time.getTime() } : null;
    } catch (err) {
      if (apiCode(err) === JetStreamApiCodes.StreamNotFound) throw new NotFoundError(`stream ${stream} not found`, { cause: err });
      throw unavailable(`cannot read stream ${stream}`, err);
    }
  }

  async deleteMessage(stream: string, seq: number): Promise<boolean> {
    assertName(stream, 'stream');
    const jsm = await this.#manager();
    try {
      return await jsm.streams.deleteMessage(stream, seq, false);
    } catch (err) {
      const code = apiCode(err);
      if (code === JetStreamApiCodes.StreamNotFound) throw new NotFoundError(`stream ${stream} not found`, { cause: err });
      if (code === JetStreamApiCodes.NoMessageFound || code === SEQUENCE_NOT_FOUND || code === STREAM_STORE_EOF) return false;
      throw unavailable(`cannot delete message ${seq} of stream ${stream}`, err);
    }
  }

  /** Every consumer of this bus asks for no more messages (see NatsConsumer.stopPulling). */
  stopPulling(): void {
    for (const consumer of this.#consumers) consumer.stopPulling();
  }

  /** Stops every consumer of this bus (drain: see NatsConsumer). */
  async stopConsumers(): Promise<unknown[]> {
    const results = await Promise.allSettled([...this.#consumers].map((c) => c.stop()));
    this.#consumers.clear();
    this.#maxDeliveries.close();
    return results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  }

  async pending(stream: string, filterSubject?: string): Promise<number> {
    const jsm = await this.#manager();
    try {
      if (filterSubject === undefined) return (await jsm.streams.info(stream)).state.messages;
      const info = await jsm.streams.info(stream, { subjects_filter: filterSubject });
      return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    } catch (err) {
      if (apiCode(err) === JetStreamApiCodes.StreamNotFound) throw new NotFoundError(`stream ${stream} not found`, { cause: err });
      throw unavailable(`cannot read stream ${stream}`, err);
    }
  }

  async subjectCounts(stream: string, filterSubject: string): Promise<Record<string, number>> {
    const jsm = await this.#manager();
    try {
      return { ...(await jsm.streams.info(stream, { subjects_filter: filterSubject })).state.subjects };
    } catch (err) {
      if (apiCode(err) === JetStreamApiCodes.StreamNotFound) throw new NotFoundError(`stream ${stream} not found`, { cause: err });
      throw unavailable(`cannot read stream ${stream}`, err);
    }
  }

  async streamState(stream: string): Promise<StreamState> {
    const jsm = await this.#manager();
    try {
      const messages = (await jsm.streams.info(stream)).state.messages;
      const consumers: ConsumerState[] = [];
      for await (const c of jsm.consumers.list(stream)) {
        consumers.push({
          durable: c.name,
          pending: c.num_pending,
          ackPending: c.num_ack_pending,
          redelivered: c.num_redelivered,
          ackFloor: c.ack_floor.stream_seq,
        });
      }
      return { messages, consumers };
    } catch (err) {
      if (apiCode(err) === JetStreamApiCodes.StreamNotFound) throw new NotFoundError(`stream ${stream} not found`, { cause: err });
      throw unavailable(`cannot read stream ${stream}`, err);
    }
  }

  async deleteConsumer(stream: string, durable: string): Promise<void> {
    const jsm = await this.#manager();
    try {
      await jsm.consumers.delete(stream, durable);
    } catch (err) {
      const code = apiCode(err);
      if (code === JetStreamApiCodes.ConsumerNotFound || code === JetStreamApiCodes.StreamNotFound) return;
      throw unavailable(`cannot delete consumer ${stream}/${durable}`, err);
    }
  }

  async kv(bucket: string, ttlMs: number): Promise<KvBucket> {
    assertName(bucket, 'bucket');
    if (!(ttlMs > 0)) throw new ValidationError(`KV bucket ${bucket} needs a positive TTL`);
    try {
      return await this.#openKv(bucket, ttlMs);
    } catch {
      // Nodes starting together race to create a bucket (nats.js looks, then adds): the loser's
      // add is refused, and by then the bucket exists, so one more look finds it.
      try {
        return await this.#openKv(bucket, ttlMs);
      } catch (err) {
        throw unavailable(`cannot open KV bucket ${bucket}`, err);
      }
    }
  }

  async #openKv(bucket: string, ttlMs: number): Promise<KvBucket> {
    const kv = await new Kvm(this.#js).create(bucket, { ttl: ttlMs, history: 1 });
    await this.#alignTtl(`KV_${bucket}`, ttlMs);
    return new NatsKv(kv, bucket, this.#opts.publishTimeoutMs);
  }

  /** An existing bucket keeps its first TTL unless told otherwise: apply the one asked for. */
  async #alignTtl(stream: string, ttlMs: number): Promise<void> {
    const jsm = await this.#manager();
    const info = await jsm.streams.info(stream);
    const maxAge = nanos(ttlMs);
    if (info.config.max_age === maxAge) return;
    const duplicateWindow = Math.min(info.config.duplicate_window || maxAge, maxAge);
    await jsm.streams.update(stream, { ...info.config, max_age: maxAge, duplicate_window: duplicateWindow });
  }

  /** Creates the durable, or updates it when it exists with other settings (any node may). */
  async #ensureConsumer(spec: ConsumerSpec): Promise<void> {
    const jsm = await this.#manager();
    const config = consumerConfig(spec);
    try {
      await jsm.consumers.add(spec.stream, config);
      return;
    } catch (err) {
      const code = apiCode(err);
      if (code === JetStreamApiCodes.StreamNotFound) throw new NotFoundError(`stream ${spec.stream} not found`, { cause: err });
      if (code === CONSUMER_NOT_UNIQUE_ON_WORKQUEUE) {
        throw new ConflictError(`workqueue stream ${spec.stream}: filter ${spec.filterSubject} overlaps another durable`, { cause: err });
      }
      if (code !== CONSUMER_ALREADY_EXISTS) throw unavailable(`cannot create consumer ${spec.stream}/${spec.durable}`, err);
    }
    const { ack_wait, max_deliver, max_ack_pending, filter_subject } = config;
    await jsm.consumers
      .update(spec.stream, spec.durable, { ack_wait, max_deliver, max_ack_pending, filter_subject })
      .catch((err: unknown) => {
        throw unavailable(`cannot update consumer ${spec.stream}/${spec.durable}`, err);
      });
  }

  async #manager(): Promise<JetStreamManager> {
    try {
      return await this.#jsm;
    } catch (err) {
      throw unavailable('JetStream is unavailable', err);
    }
  }
}

function streamConfig(s: NormalizedStreamSpec): StreamConfig {
  return {
    name: s.name,
    subjects: s.subjects,
    retention: s.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: s.storage === 'memory' ? StorageType.Memory : StorageType.File,
    max_age: nanos(s.maxAgeMs),
    max_bytes: s.maxBytes > 0 ? s.maxBytes : -1,
    duplicate_window: nanos(s.duplicateWindowMs),
    discard: DiscardPolicy.Old,
  } as StreamConfig;
}

function consumerConfig(spec: ConsumerSpec): Partial<ConsumerConfig> {
  return {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(spec.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
    max_deliver: spec.maxDeliver ? spec.maxDeliver : -1,
    max_ack_pending: spec.maxAckPending ?? DEFAULT_MAX_ACK_PENDING,
    filter_subject: spec.filterSubject,
  };
}

function apiCode(err: unknown): number | undefined {
  return err instanceof JetStreamApiError ? err.code : undefined;
}

function unavailable(message: string, err: unknown): UnavailableError {
  return err instanceof UnavailableError ? err : new UnavailableError(message, { cause: err });
}
