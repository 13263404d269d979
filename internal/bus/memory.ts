import { randomBytes } from 'node:crypto';
import { UnavailableError } from '../errors/index.js';
import { closedSignal, HandlerRunner, stderrLogger } from './handlers.js';
import { assertPublishSubject, assertSubscribeSubject, subjectMatches } from './subject.js';
import { DEFAULT_DRAIN_TIMEOUT_MS } from './types.js';
import type { Bus, BusDeps, BusLogger, BusHandler, BusMsg, BusSubscription, GatherOptions, RequestOptions } from './types.js';

interface HubSubscription {
  readonly pattern: string;
  deliver(msg: BusMsg): void;
}

/**
 * The "network" MemoryBus instances share. Give several buses one hub to simulate several nodes
 * in one process; a bus created without a hub gets a private one.
 */
export class MemoryBusHub {
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

/** An in-process Bus (the embedded default and the unit tests). Same contract as NatsBus. */
export class MemoryBus implements Bus {
  readonly #hub: MemoryBusHub;
  readonly #nodeId: string;
  readonly #logger: BusLogger;
  readonly #runner: HandlerRunner;
  readonly #closed = closedSignal();
  /** Removers of this bus's hub subscriptions (handlers and pending inboxes). */
  readonly #removers = new Set<() => void>();
  /** Finishers of pending requests and gathers, called on stop. */
  readonly #pending = new Set<() => void>();
  #state: State = 'new';
  #stopping?: Promise<void>;

  constructor(hub: MemoryBusHub, deps: BusDeps) {
    this.#hub = hub;
    this.#nodeId = deps.nodeId;
    this.#logger = deps.logger ?? stderrLogger();
    this.#runner = new HandlerRunner(this.#logger, deps.nodeId);
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
    if (this.#state !== 'running') throw new UnavailableError(`bus on ${this.#nodeId} is ${this.#state === 'new' ? 'not started' : 'stopped'}`);
  }

  async #stop(): Promise<void> {
    this.#state = 'stopping';
    for (const remove of [...this.#removers]) remove();
    for (const finish of [...this.#pending]) finish();
    if (!(await this.#runner.settle(DEFAULT_DRAIN_TIMEOUT_MS))) {
      this.#logger.warn({ node: this.#nodeId, running: this.#runner.running }, 'bus: stopped with handlers still running');
    }
    this.#state = 'stopped';
    this.#closed.resolve();
  }
}
