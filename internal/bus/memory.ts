import { randomBytes } from 'node:crypto';
import { UnavailableError } from '../errors/index.js';
import type {
  ConsumeOptions,
  Consumer,
  ConsumerSpec,
  DurableHandler,
  KvBucket,
  PublishAck,
  PublishOptions,
  StreamMessage,
  StreamState,
  StreamSpec,
} from './durable-types.js';
import { deadLetterSink } from './dead-letter-sink.js';
import { closedSignal, HandlerRunner, stderrLogger } from './handlers.js';
import { MemoryConsumer } from './memory-consumer.js';
import { MemoryJetStream } from './memory-jetstream.js';
import { MemoryKv } from './memory-kv.js';
import { assertPublishSubject, assertSubscribeSubject, subjectMatches } from './subject.js';
import { DEFAULT_DRAIN_TIMEOUT_MS } from './types.js';
import type { Bus, BusDeps, BusLogger, BusHandler, BusMsg, BusSubscription, GatherOptions, RequestOptions } from './types.js';

interface HubSubscription {
  readonly pattern: string;
  deliver(msg: BusMsg): void;
}

/**
 * The "network" MemoryBus instances share. Give several buses one hub to simulate several nodes
 * in one process; a bus created without a hub gets a private one. The hub also holds what a
 * nats-server's JetStream would: streams, durable consumers and KV buckets.
 */
export class MemoryBusHub {
  /** Streams, durables and KV buckets shared by the buses on this hub. */
  readonly jetstream = new MemoryJetStream();
  readonly #subs = new Set<HubSubscription>();
  readonly #inboxPrefix = `_INBOX.${randomBytes(8).toString('hex')}.`;
  #inboxSeq = 0;

  /** Adds a subscription; returns its remover. */
  add(sub: HubSubscription): () => void {
    this.#subs.add(sub);
    return () => this.#subs.delete(sub);
  }

  /**
   * Delivers a copy of `data` to every matching subscription on a later turn of the event loop
   * (never synchronously, like the network). Returns how many subscriptions matched.
   */
  deliver(subject: string, data: Uint8Array, reply?: string): number {
    let matched = 0;
    for (const sub of this.#subs) {
      if (!subjectMatches(sub.pattern, subject)) continue;
      matched++;
      const msg: BusMsg = { subject, data: data.slice(), ...(reply ? { reply } : {}) };
      setImmediate(() => sub.deliver(msg));
    }
    return matched;
  }

  /** A unique reply subject. */
  newInbox(): string {
    return `${this.#inboxPrefix}${++this.#inboxSeq}`;
  }
}

type State = 'new' | 'running' | 'stopping' | 'stopped';

export interface MemoryBusOptions {
  /** How long stop() waits for running handlers, in ms (default DEFAULT_DRAIN_TIMEOUT_MS). */
  drainTimeoutMs?: number;
  /** First retry delay after a durable handler threw, in ms (default HANDLER_ERROR_RETRY_MS); tests shorten it. */
  handlerRetryMs?: number;
}

/** An in-process Bus (the embedded default and the unit tests). Same contract as NatsBus. */
export class MemoryBus implements Bus {
  readonly #hub: MemoryBusHub;
  readonly #nodeId: string;
  readonly #logger: BusLogger;
  readonly #runner: HandlerRunner;
  readonly #drainTimeoutMs: number;
  readonly #handlerRetryMs: number | undefined;
  readonly #consumers = new Set<MemoryConsumer>();
  readonly #closed = closedSignal();
  /** Removers of this bus's hub subscriptions (handlers and pending inboxes). */
  readonly #removers = new Set<() => void>();
  /** Finishers of pending requests and gathers, called on stop. */
  readonly #pending = new Set<() => void>();
  #state: State = 'new';
  #stopping?: Promise<void>;

  constructor(hub: MemoryBusHub, deps: BusDeps, options: MemoryBusOptions = {}) {
    this.#hub = hub;
    this.#nodeId = deps.nodeId;
    this.#logger = deps.logger ?? stderrLogger();
    this.#runner = new HandlerRunner(this.#logger, deps.nodeId);
    this.#drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.#handlerRetryMs = options.handlerRetryMs;
  }

  async start(): Promise<void> {
    if (this.#state === 'new') this.#state = 'running';
    this.#assertRunning();
  }

  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  closed(): Promise<void | Error> {
    return this.#closed.promise;
  }

  async publish(subject: string, data: Uint8Array): Promise<void> {
    this.#assertRunning();
    assertPublishSubject(subject);
    this.#hub.deliver(subject, data);
  }

  async subscribe(subject: string, handler: BusHandler): Promise<BusSubscription> {
    this.#assertRunning();
    assertSubscribeSubject(subject);
    let active = true;
    const remove = this.#listen(subject, (msg) => {
      if (active && this.#state === 'running') {
        this.#runner.run(handler, msg, (answer) => this.#hub.deliver(msg.reply as string, answer));
      }
    });
    return {
      unsubscribe: () => {
        active = false;
        remove();
      },
    };
  }

  async request(subject: string, data: Uint8Array, opts: RequestOptions): Promise<Uint8Array> {
    this.#assertRunning();
    assertPublishSubject(subject);
    return new Promise((resolve, reject) => {
      const inbox = this.#hub.newInbox();
      const finish = (err: Error | null, answer?: Uint8Array): void => {
        clearTimeout(timer);
        remove();
        this.#pending.delete(onStop);
        if (err) reject(err);
        else resolve(answer as Uint8Array);
      };
      const onStop = (): void => finish(new UnavailableError(`request to ${subject} aborted: bus stopped`));
      const remove = this.#listen(inbox, (msg) => finish(null, msg.data));
      const timer = setTimeout(
        () => finish(new UnavailableError(`request to ${subject} timed out after ${opts.timeoutMs} ms`)),
        opts.timeoutMs,
      );
      this.#pending.add(onStop);
      if (this.#hub.deliver(subject, data, inbox) === 0) {
        finish(new UnavailableError(`no responders on ${subject}`));
      }
    });
  }

  async gather(subject: string, data: Uint8Array, opts: GatherOptions): Promise<Uint8Array[]> {
    this.#assertRunning();
    assertPublishSubject(subject);
    return new Promise((resolve) => {
      const answers: Uint8Array[] = [];
      const inbox = this.#hub.newInbox();
      const finish = (): void => {
        clearTimeout(timer);
        remove();
        this.#pending.delete(finish);
        resolve(answers);
      };
      const remove = this.#listen(inbox, (msg) => {
        answers.push(msg.data);
        if (opts.max !== undefined && answers.length >= opts.max) finish();
      });
      const timer = setTimeout(finish, opts.timeoutMs);
      this.#pending.add(finish);
      if (this.#hub.deliver(subject, data, inbox) === 0) finish();
    });
  }

  async ensureStream(spec: StreamSpec): Promise<void> {
    this.#assertRunning();
    this.#hub.jetstream.ensureStream(spec);
  }

  async publishDurable(subject: string, data: Uint8Array, opts: PublishOptions = {}): Promise<PublishAck> {
    this.#assertRunning();
    // Stored synchronously, so opts.timeoutMs never comes into play.
    return this.#hub.jetstream.publish(subject, data, opts.msgId);
  }

  async consume(spec: ConsumerSpec, handler: DurableHandler, opts: ConsumeOptions = {}): Promise<Consumer> {
    this.#assertRunning();
    const state = this.#hub.jetstream.consumer(spec);
    const consumer = new MemoryConsumer(state, handler, {
      label: `${spec.stream}/${spec.durable}`,
      nodeId: this.#nodeId,
      logger: this.#logger,
      concurrency: Math.max(1, opts.concurrency ?? 1),
      drainTimeoutMs: this.#drainTimeoutMs,
      handlerRetryMs: this.#handlerRetryMs,
      deadLetter: deadLetterSink(spec, (subject, data, o) => this.publishDurable(subject, data, o)),
    });
    this.#consumers.add(consumer);
    consumer.start();
    return {
      stop: async () => {
        await consumer.stop();
        this.#consumers.delete(consumer);
      },
    };
  }

  async pending(stream: string, filterSubject?: string): Promise<number> {
    this.#assertRunning();
    return this.#hub.jetstream.pending(stream, filterSubject);
  }

  async subjectCounts(stream: string, filterSubject: string): Promise<Record<string, number>> {
    this.#assertRunning();
    return this.#hub.jetstream.subjectCounts(stream, filterSubject);
  }

  async streamState(stream: string): Promise<StreamState> {
    this.#assertRunning();
    return this.#hub.jetstream.streamState(stream);
  }

  async readMessage(stream: string, seq: number, filterSubject?: string): Promise<StreamMessage | null> {
    this.#assertRunning();
    return this.#hub.jetstream.read(stream, seq, filterSubject);
  }

  async deleteMessage(stream: string, seq: number): Promise<boolean> {
    this.#assertRunning();
    return this.#hub.jetstream.deleteMessage(stream, seq);
  }

  async deleteConsumer(stream: string, durable: string): Promise<void> {
    this.#assertRunning();
    this.#hub.jetstream.deleteConsumer(stream, durable);
  }

  async kv(bucket: string, opts: { ttlMs: number }): Promise<KvBucket> {
    this.#assertRunning();
    return new MemoryKv(this.#hub.jetstream.kv(bucket, opts.ttlMs), () => this.#assertRunning());
  }

  /**
   * Plays a node that died (SIGKILL), for tests: stops at once without draining, acking or
   * naking; its durable messages come back only when their ack wait ends, its KV calls fail
   * (so its leases lapse), and closed() resolves with an Error.
   */
  kill(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    for (const c of this.#consumers) c.kill();
    this.#consumers.clear();
    for (const remove of [...this.#removers]) remove();
    for (const finish of [...this.#pending]) finish();
    this.#stopping ??= Promise.resolve();
    this.#closed.resolve(new UnavailableError(`bus on ${this.#nodeId} was killed`));
  }

  #listen(pattern: string, deliver: (msg: BusMsg) => void): () => void {
    const removeFromHub = this.#hub.add({ pattern, deliver });
    const remove = (): void => {
      removeFromHub();
      this.#removers.delete(remove);
    };
    this.#removers.add(remove);
    return remove;
  }

  #assertRunning(): void {
    if (this.#state !== 'running')
      throw new UnavailableError(`bus on ${this.#nodeId} is ${this.#state === 'new' ? 'not started' : 'stopped'}`);
  }

  async #stop(): Promise<void> {
    this.#state = 'stopping';
    await Promise.allSettled([...this.#consumers].map((c) => c.stop()));
    this.#consumers.clear();
    for (const remove of [...this.#removers]) remove();
    for (const finish of [...this.#pending]) finish();
    if (!(await this.#runner.settle(this.#drainTimeoutMs))) {
      this.#logger.warn({ node: this.#nodeId, running: this.#runner.running }, 'bus: stopped with handlers still running');
    }
    this.#state = 'stopped';
    this.#closed.resolve();
  }
}
