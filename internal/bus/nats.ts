import {
  connect,
  createInbox,
  RequestError,
  TimeoutError,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { UnavailableError } from '../errors/index.js';
import { batchWrites } from './nats-write-batching.js';
import {
  DEFAULT_PUBLISH_TIMEOUT_MS,
  HANDLER_ERROR_RETRY_MS,
  type ConsumeOptions,
  type Consumer,
  type ConsumerSpec,
  type DurableHandler,
  type KvBucket,
  type PublishAck,
  type PublishOptions,
  type StreamMessage,
  type StreamState,
  type StreamSpec,
} from './durable-types.js';
import { closedSignal, HandlerRunner, stderrLogger } from './handlers.js';
import { NatsJetStream } from './nats-jetstream.js';
import { assertPublishSubject, assertSubscribeSubject } from './subject.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_RECONNECT_WAIT_MS,
  type Bus,
  type BusDeps,
  type BusHandler,
  type BusLogger,
  type BusSubscription,
  type GatherOptions,
  type NatsBusOptions,
  type RequestOptions,
} from './types.js';

/** Ping the server this often, so a dead TCP connection is noticed in ~30 s, not minutes. */
const PING_INTERVAL_MS = 10_000;
/** Status code the server sends to a reply subject when nobody is subscribed (NATS ADR-2). */
const NO_RESPONDERS = 503;

type State = 'new' | 'running' | 'stopping' | 'stopped';

/**
 * Bus over a NATS connection it owns (connection name = node id). After the first connect it
 * reconnects forever; closed() reports an end that stop() did not ask for.
 */
export class NatsBus implements Bus {
  readonly #opts: Required<NatsBusOptions>;
  readonly #nodeId: string;
  readonly #logger: BusLogger;
  readonly #runner: HandlerRunner;
  readonly #closed = closedSignal();
  readonly #subs = new Set<Subscription>();
  /** Finishers of pending gathers, called on stop. */
  readonly #pending = new Set<() => void>();
  #nc?: NatsConnection;
  #js?: NatsJetStream;
  #state: State = 'new';
  #starting?: Promise<void>;
  #stopping?: Promise<void>;

  constructor(options: NatsBusOptions, deps: BusDeps) {
    this.#opts = {
      servers: options.servers,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      reconnectWaitMs: options.reconnectWaitMs ?? DEFAULT_RECONNECT_WAIT_MS,
      drainTimeoutMs: options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
      handlerRetryMs: options.handlerRetryMs ?? HANDLER_ERROR_RETRY_MS,
      publishTimeoutMs: options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
    };
    this.#nodeId = deps.nodeId;
    this.#logger = deps.logger ?? stderrLogger();
    this.#runner = new HandlerRunner(this.#logger, deps.nodeId);
  }

  start(): Promise<void> {
    if (this.#stopping) return Promise.reject(new UnavailableError(`bus on ${this.#nodeId} is stopped`));
    return (this.#starting ??= this.#start());
  }

  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  closed(): Promise<void | Error> {
    return this.#closed.promise;
  }

  async publish(subject: string, data: Uint8Array): Promise<void> {
    const nc = this.#conn();
    assertPublishSubject(subject);
    try {
      nc.publish(subject, data);
    } catch (err) {
      throw new UnavailableError(`publish to ${subject} failed`, { cause: err });
    }
  }

  async subscribe(subject: string, handler: BusHandler): Promise<BusSubscription> {
    const nc = this.#conn();
    assertSubscribeSubject(subject);
    const sub = nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) {
          this.#logger.error({ err, subject, node: this.#nodeId }, 'bus: subscription failed');
          return;
        }
        const msg = { subject: m.subject, data: m.data, ...(m.reply ? { reply: m.reply } : {}) };
        this.#runner.run(handler, msg, (answer) => m.respond(answer));
      },
    });
    this.#subs.add(sub);
    const unsubscribe = (): void => {
      this.#subs.delete(sub);
      if (!sub.isClosed()) sub.unsubscribe();
    };
    try {
      await nc.flush();
    } catch (err) {
      unsubscribe();
      throw new UnavailableError(`subscribe to ${subject} failed`, { cause: err });
    }
    return { unsubscribe };
  }

  async request(subject: string, data: Uint8Array, opts: RequestOptions): Promise<Uint8Array> {
    const nc = this.#conn();
    assertPublishSubject(subject);
    try {
      return (await nc.request(subject, data, { timeout: opts.timeoutMs })).data;
    } catch (err) {
      throw new UnavailableError(requestFailure(subject, opts.timeoutMs, err), { cause: err });
    }
  }

  async gather(subject: string, data: Uint8Array, opts: GatherOptions): Promise<Uint8Array[]> {
    const nc = this.#conn();
    assertPublishSubject(subject);
    return new Promise((resolve, reject) => {
      const answers: Uint8Array[] = [];
      const finish = (err?: unknown): void => {
        clearTimeout(timer);
        this.#pending.delete(finish);
        if (!sub.isClosed()) sub.unsubscribe();
        if (err) reject(new UnavailableError(`gather on ${subject} failed`, { cause: err }));
        else resolve(answers);
      };
      // A unique inbox per gather: every answer lands here until the timer or `max` ends it.
      const sub = nc.subscribe(createInbox(), {
        callback: (err, m) => {
          if (err || isNoResponders(m)) return finish();
          answers.push(m.data);
          if (opts.max !== undefined && answers.length >= opts.max) finish();
        },
      });
      const timer = setTimeout(finish, opts.timeoutMs);
      this.#pending.add(finish);
      try {
        nc.publish(subject, data, { reply: sub.getSubject() });
      } catch (err) {
        finish(err);
      }
    });
  }

  async ensureStream(spec: StreamSpec): Promise<void> {
    return this.#jetstream().ensureStream(spec);
  }

  async publishDurable(subject: string, data: Uint8Array, opts: PublishOptions = {}): Promise<PublishAck> {
    return this.#jetstream().publish(subject, data, opts);
  }

  async consume(spec: ConsumerSpec, handler: DurableHandler, opts: ConsumeOptions = {}): Promise<Consumer> {
    return this.#jetstream().consume(spec, handler, opts);
  }

  async pending(stream: string, filterSubject?: string): Promise<number> {
    return this.#jetstream().pending(stream, filterSubject);
  }

  async subjectCounts(stream: string, filterSubject: string): Promise<Record<string, number>> {
    return this.#jetstream().subjectCounts(stream, filterSubject);
  }

  async streamState(stream: string): Promise<StreamState> {
    return this.#jetstream().streamState(stream);
  }

  async readMessage(stream: string, seq: number, filterSubject?: string): Promise<StreamMessage | null> {
    return this.#jetstream().readMessage(stream, seq, filterSubject);
  }

  async deleteMessage(stream: string, seq: number): Promise<boolean> {
    return this.#jetstream().deleteMessage(stream, seq);
  }

  async deleteConsumer(stream: string, durable: string): Promise<void> {
    return this.#jetstream().deleteConsumer(stream, durable);
  }

  async kv(bucket: string, opts: { ttlMs: number }): Promise<KvBucket> {
    return this.#jetstream().kv(bucket, opts.ttlMs);
  }

  async #start(): Promise<void> {
    try {
      this.#nc = await connect({
        servers: this.#opts.servers,
        name: this.#nodeId,
        timeout: this.#opts.connectTimeoutMs,
        maxReconnectAttempts: -1,
        reconnectTimeWait: this.#opts.reconnectWaitMs,
        pingInterval: PING_INTERVAL_MS,
        // Each request would otherwise build an Error up front for a stack trace we never read.
        noAsyncTraces: true,
      });
    } catch (err) {
      this.#starting = undefined;
      throw new UnavailableError(`cannot connect to NATS at ${this.#opts.servers.join(', ')}`, { cause: err });
    }
    if (!batchWrites(this.#nc)) this.#logger.warn({ node: this.#nodeId }, 'bus: NATS writes are not batched (client internals changed)');
    this.#js = new NatsJetStream(this.#nc, {
      nodeId: this.#nodeId,
      logger: this.#logger,
      drainTimeoutMs: this.#opts.drainTimeoutMs,
      handlerRetryMs: this.#opts.handlerRetryMs,
      publishTimeoutMs: this.#opts.publishTimeoutMs,
    });
    this.#state = 'running';
    void this.#watchStatus(this.#nc);
    void this.#nc.closed().then((err) => this.#onClosed(err));
  }

  stopPulling(): void {
    this.#js?.stopPulling();
  }

  /** Drain order: stop intake, let handlers answer, then flush and close the connection. */
  async #stop(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    const nc = this.#nc;
    if (this.#state !== 'running' || !nc) {
      this.#state = 'stopped';
      this.#closed.resolve();
      return;
    }
    this.#state = 'stopping';
    const errors: unknown[] = [];
    // Consumers first: they still ack and nak over the connection while they drain.
    errors.push(...((await this.#js?.stopConsumers()) ?? []));
    for (const finish of [...this.#pending]) finish();
    const drained = await Promise.allSettled([...this.#subs].map((s) => s.drain()));
    drained.forEach((r) => r.status === 'rejected' && errors.push(r.reason));
    if (!(await this.#runner.settle(this.#opts.drainTimeoutMs))) {
      this.#logger.warn({ node: this.#nodeId, running: this.#runner.running }, 'bus: stopped with handlers still running');
    }
    await drainOrClose(nc, this.#opts.drainTimeoutMs).catch((err: unknown) => errors.push(err));
    this.#state = 'stopped';
    this.#closed.resolve();
    if (errors.length) throw new AggregateError(errors, `bus on ${this.#nodeId} did not stop cleanly`);
  }

  #onClosed(err: void | Error): void {
    if (this.#state !== 'running') return;
    this.#state = 'stopped';
    const reason = err ?? new UnavailableError('NATS connection closed unexpectedly');
    this.#logger.error({ err: reason, node: this.#nodeId }, 'bus: connection closed');
    for (const finish of [...this.#pending]) finish();
    this.#closed.resolve(reason);
  }

  async #watchStatus(nc: NatsConnection): Promise<void> {
    const log = { node: this.#nodeId };
    try {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.#logger.warn({ ...log, server: s.server }, 'bus: disconnected from NATS');
        else if (s.type === 'reconnect') this.#logger.info({ ...log, server: s.server }, 'bus: reconnected to NATS');
        else if (s.type === 'ldm') this.#logger.warn({ ...log, server: s.server }, 'bus: NATS server entering lame duck mode');
        else if (s.type === 'error') this.#logger.error({ ...log, err: s.error }, 'bus: NATS error');
      }
    } catch (err) {
      this.#logger.warn({ ...log, err }, 'bus: status watch ended');
    }
  }

  /** The durable half; throws UnavailableError unless running (callers are async: a rejection). */
  #jetstream(): NatsJetStream {
    this.#conn();
    return this.#js as NatsJetStream;
  }

  #conn(): NatsConnection {
    if (this.#state !== 'running' || !this.#nc) {
      throw new UnavailableError(`bus on ${this.#nodeId} is ${this.#state === 'new' ? 'not started' : 'stopped'}`);
    }
    return this.#nc;
  }
}

function isNoResponders(m: Msg): boolean {
  return m.data.length === 0 && m.headers?.code === NO_RESPONDERS;
}

function requestFailure(subject: string, timeoutMs: number, err: unknown): string {
  if (err instanceof RequestError && err.isNoResponders()) return `no responders on ${subject}`;
  if (err instanceof TimeoutError || (err instanceof Error && err.cause instanceof TimeoutError)) {
    return `request to ${subject} timed out after ${timeoutMs} ms`;
  }
  return `request to ${subject} failed`;
}

/** nc.drain(), but a server that stops answering cannot hold stop() past `timeoutMs`. */
async function drainOrClose(nc: NatsConnection, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  try {
    if ((await Promise.race([nc.drain(), timedOut])) === 'timeout') await nc.close();
  } finally {
    clearTimeout(timer);
  }
}
