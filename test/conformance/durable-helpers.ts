/** Helpers of the durable bus conformance suite (test/conformance/durable-bus.ts). */
import { ack, type Bus, type Consumer, type DurableHandler, type DurableMsg, type Outcome } from '../../internal/bus/index.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Handlers wait on a gate until the test opens it. Every gate is opened after each test. */
export class Gate {
  static readonly all = new Set<Gate>();
  #open = false;
  #waiters: Array<() => void> = [];

  constructor() {
    Gate.all.add(this);
  }

  wait(): Promise<void> {
    return this.#open ? Promise.resolve() : new Promise((r) => this.#waiters.push(r));
  }

  open(): void {
    this.#open = true;
    for (const w of this.#waiters.splice(0)) w();
  }

  static openAll(): void {
    for (const g of Gate.all) g.open();
    Gate.all.clear();
  }
}

export interface Seen {
  node: string;
  subject: string;
  text: string;
  seq: number;
  deliveryCount: number;
  /** Date.now() when the handler started. */
  at: number;
}

/**
 * Records every delivery across nodes and how many handlers run at once. `handler(node, fn)`
 * wraps an outcome function (default: ack).
 */
export class Deliveries {
  readonly seen: Seen[] = [];
  running = 0;
  maxRunning = 0;

  handler(node: string, decide: (m: DurableMsg, seen: Seen) => Outcome | Promise<Outcome> = () => ack): DurableHandler {
    return async (m) => {
      const s: Seen = { node, subject: m.subject, text: text(m.data), seq: m.seq, deliveryCount: m.deliveryCount, at: Date.now() };
      this.seen.push(s);
      this.running++;
      this.maxRunning = Math.max(this.maxRunning, this.running);
      try {
        return await decide(m, s);
      } finally {
        this.running--;
      }
    };
  }

  of(textValue: string): Seen[] {
    return this.seen.filter((s) => s.text === textValue);
  }

  count(): number {
    return this.seen.length;
  }

  atLeast(n: number, timeoutMs = 10_000): Promise<void> {
    return eventually(`${n} deliveries (have ${this.seen.length})`, () => this.seen.length >= n, timeoutMs);
  }
}

export interface DurableBusFixture {
  /** A new, unstarted bus on the shared network, for node `nodeId`. */
  newBus(nodeId: string, opts?: { drainTimeoutMs?: number }): Bus;
  /** A started bus whose `kill()` ends it like a crashed node: no drain, no acks, gone from the network. */
  newKillableBus(nodeId: string): Promise<{ bus: Bus; kill(): Promise<void> }>;
  /** Ack wait and lease TTL the tests use (a real server needs longer than the in-process bus). */
  timing: { ackWaitMs: number; ttlMs: number };
  /** After each test, once its buses are stopped: remove what was named with `prefix`. */
  cleanup?(prefix: string): Promise<void>;
}

/** Shared by the stream/consumer tests and the lease tests. */
export interface DurableTestContext {
  fixture: DurableBusFixture;
  prefix: string;
  node(id: string, opts?: { drainTimeoutMs?: number }): Promise<Bus>;
  killable(id: string): Promise<{ bus: Bus; kill(): Promise<void> }>;
  /** Runs after the test, before the buses stop (e.g. stop leases). */
  defer(fn: () => Promise<void>): void;
  /** Stops `consumer` after the test, with the others, while its stream is removed. */
  stopAfter(consumer: Consumer): void;
}
