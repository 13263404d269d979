import { DeadLetterReason } from '../../proto/dead-letter.js';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors/index.js';
import { deadLetterPublish } from './dead-letter-sink.js';
import {
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_MAX_ACK_PENDING,
  type ConsumerSpec,
  type PublishAck,
  type StreamMessage,
  type StreamSpec,
  type StreamState,
} from './durable-types.js';
import { consumerLimits, MemoryConsumerState } from './memory-consumer-state.js';
import { MemoryKvStore } from './memory-kv.js';
import { MemoryStream, normalizeStreamSpec, type StoredMsg } from './memory-stream.js';
import { assertName, assertPublishSubject, assertSubscribeSubject, subjectsOverlap } from './subject.js';

/**
 * What a nats-server's JetStream holds, in process: streams, durable consumer states and KV
 * buckets. One per MemoryBusHub, so every MemoryBus on a hub sees the same streams, shares the
 * same durables and campaigns on the same leases, like nodes on one NATS cluster.
 */
export class MemoryJetStream {
  readonly #streams = new Map<string, MemoryStream>();
  /** stream name → durable name → state. */
  readonly #consumers = new Map<string, Map<string, MemoryConsumerState>>();
  readonly #kv = new Map<string, MemoryKvStore>();

  ensureStream(spec: StreamSpec): void {
    const norm = normalizeStreamSpec(spec);
    for (const other of this.#streams.values()) {
      if (other.spec.name === norm.name) continue;
      const clash = norm.subjects.find((s) => other.spec.subjects.some((o) => subjectsOverlap(s, o)));
      if (clash) throw new ConflictError(`stream ${norm.name}: subject ${clash} overlaps stream ${other.spec.name}`);
    }
    const existing = this.#streams.get(norm.name);
    if (existing) existing.update(norm);
    else this.#streams.set(norm.name, new MemoryStream(norm));
  }

  /** Stored or not, certainly: in process there is no acknowledgement to lose (never OutcomeUnknownError). */
  publish(subject: string, data: Uint8Array, msgId: string | undefined): PublishAck {
    assertPublishSubject(subject);
    for (const stream of this.#streams.values()) {
      if (!stream.stores(subject)) continue;
      const ack = stream.store(subject, data, msgId);
      if (!ack.duplicate) this.#consumers.get(stream.spec.name)?.forEach((c) => c.dispatch());
      return ack;
    }
    throw new UnavailableError(`no stream stores ${subject}`);
  }

  /** Creates or updates a durable's shared state. */
  consumer(spec: ConsumerSpec): MemoryConsumerState {
    assertName(spec.durable, 'durable');
    assertSubscribeSubject(spec.filterSubject);
    if ((spec.maxAckPending ?? 1) < 1 || (spec.ackWaitMs ?? 1) <= 0 || (spec.maxDeliver ?? 0) < 0) {
      throw new ValidationError(`consumer ${spec.durable}: invalid limits`);
    }
    const stream = this.#stream(spec.stream);
    const durables = this.#consumers.get(spec.stream) ?? new Map<string, MemoryConsumerState>();
    this.#consumers.set(spec.stream, durables);
    if (stream.spec.retention === 'workqueue') {
      for (const [name, other] of durables) {
        if (name !== spec.durable && subjectsOverlap(other.limits.filterSubject, spec.filterSubject)) {
          throw new ConflictError(`workqueue stream ${spec.stream}: filter ${spec.filterSubject} overlaps durable ${name}`);
        }
      }
    }
    const limits = consumerLimits(spec, { ackWaitMs: DEFAULT_ACK_WAIT_MS, maxAckPending: DEFAULT_MAX_ACK_PENDING });
    const state = durables.get(spec.durable) ?? new MemoryConsumerState(stream, limits);
    state.limits = limits;
    state.onGiveUp = (msg, deliveries) => this.#giveUp(spec, stream, msg, deliveries);
    durables.set(spec.durable, state);
    return state;
  }

  /**
   * A last delivery's ack wait ran out: what nats-server's MAX_DELIVERIES advisory makes
   * NatsJetStream do (dead letter, then delete from the stream). Without a dead-letter subject,
   * or when it cannot be stored, the message stays, as on nats-server.
   */
  #giveUp(spec: ConsumerSpec, stream: MemoryStream, msg: StoredMsg, deliveries: number): void {
    const to = spec.deadLetterSubject;
    if (!to) return;
    const p = deadLetterPublish(
      { ...spec, deadLetterSubject: to },
      { subject: msg.subject, seq: msg.seq, deliveries, data: msg.data },
      DeadLetterReason.ACK_WAIT,
      '',
    );
    try {
      this.publish(p.subject, p.data, p.msgId);
    } catch {
      return;
    }
    stream.remove(msg.seq);
  }

  read(stream: string, seq: number, filterSubject?: string): StreamMessage | null {
    const m = this.#stream(stream).nextAfter(seq - 1, filterSubject ?? '>');
    return m ? { seq: m.seq, subject: m.subject, data: m.data.slice(), storedAt: m.at } : null;
  }

  deleteMessage(stream: string, seq: number): boolean {
    const s = this.#stream(stream);
    if (!s.get(seq)) return false;
    s.remove(seq);
    return true;
  }

  deleteConsumer(stream: string, durable: string): void {
    const durables = this.#consumers.get(stream);
    const state = durables?.get(durable);
    if (!state) return;
    state.reset();
    if (state.seated) state.dispatch();
    else durables?.delete(durable);
  }

  pending(stream: string, filterSubject?: string): number {
    return this.#stream(stream).count(filterSubject);
  }

  subjectCounts(stream: string, filterSubject: string): Record<string, number> {
    return this.#stream(stream).subjectCounts(filterSubject);
  }

  streamState(stream: string): StreamState {
    const s = this.#stream(stream);
    const consumers = [...(this.#consumers.get(stream) ?? new Map<string, MemoryConsumerState>())].map(([durable, state]) => ({
      durable,
      ...state.position(),
    }));
    return { messages: s.count(), consumers };
  }

  kv(bucket: string, ttlMs: number): MemoryKvStore {
    assertName(bucket, 'bucket');
    let store = this.#kv.get(bucket);
    if (!store) this.#kv.set(bucket, (store = new MemoryKvStore(ttlMs)));
    store.ttlMs = ttlMs;
    return store;
  }

  #stream(name: string): MemoryStream {
    const stream = this.#streams.get(name);
    if (!stream) throw new NotFoundError(`stream ${name} not found`);
    return stream;
  }
}
