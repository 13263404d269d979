import type { ConsumerSpec } from './durable-types.js';
import type { MemoryStream, StoredMsg } from './memory-stream.js';

/** The consumer settings the shared state enforces (defaults applied). */
export interface ConsumerLimits {
  filterSubject: string;
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
  deadLetterSubject?: string;
}

/** Called for a message whose last delivery's ack wait ran out (see ConsumerSpec.maxDeliver). */
export type GiveUpHook = (msg: StoredMsg, deliveries: number) => void;

/** A node consuming a durable: the shared state offers it messages while it has room. */
export interface ConsumerSeat {
  /** Messages this seat can take now. */
  room(): number;
  /** Hands over one delivery (the seat's room shrinks by one at once). */
  take(msg: StoredMsg, deliveryCount: number): void;
}

interface InFlight {
  deliveries: number;
  /** Epoch ms after which it is due for redelivery (ack wait or retry delay). */
  due: number;
}

/**
 * The cluster-wide state of one durable consumer, shared by every MemoryBus on the hub, as
 * JetStream keeps it in the server: a cursor over the stream, the messages in flight with
 * their delivery counts and deadlines, the redelivery queue, and the seats (consuming nodes).
 * One timer fires at the earliest deadline, and only while a seat is attached.
 */
export class MemoryConsumerState {
  limits: ConsumerLimits;
  /** Set by MemoryJetStream: dead-letters and removes what maxDeliver gives up. */
  onGiveUp?: GiveUpHook;
  readonly #stream: MemoryStream;
  /** Highest stream sequence delivered for the first time. */
  #cursor = 0;
  readonly #inFlight = new Map<number, InFlight>();
  /** Sequences due for redelivery, in the order they became due. */
  readonly #due = new Set<number>();
  #seats: ConsumerSeat[] = [];
  #nextSeat = 0;
  #timer?: NodeJS.Timeout;
  #timerAt = Infinity;
  #dispatching = false;

  constructor(stream: MemoryStream, limits: ConsumerLimits) {
    this.#stream = stream;
    this.limits = limits;
  }

  /** Whether any node is consuming. */
  get seated(): boolean {
    return this.#seats.length > 0;
  }

  attach(seat: ConsumerSeat): void {
    this.#seats.push(seat);
    this.#rearm();
    this.dispatch();
  }

  /** Removes a seat; its messages stay in flight until acked, nak'd or their ack wait ends. */
  detach(seat: ConsumerSeat): void {
    this.#seats = this.#seats.filter((s) => s !== seat);
    if (this.#seats.length === 0) this.#clearTimer();
  }

  /** Forgets all delivery state (the consumer was deleted; running seats start over). */
  reset(): void {
    this.#cursor = 0;
    this.#inFlight.clear();
    this.#due.clear();
    this.#clearTimer();
  }

  /** Where the consumer stands, as nats-server's consumer info reports it. */
  position(): { pending: number; ackPending: number; redelivered: number; ackFloor: number } {
    let redelivered = 0;
    let oldest = Infinity;
    for (const [seq, f] of this.#inFlight) {
      if (f.deliveries > 1) redelivered++;
      oldest = Math.min(oldest, seq);
    }
    const pending = this.#stream.countAfter(this.#cursor, this.limits.filterSubject);
    // nats-server: with nothing in flight or waiting, the floor is the last sequence it scanned.
    const idleFloor = pending === 0 ? this.#stream.lastSeq : this.#cursor;
    return { pending, ackPending: this.#inFlight.size, redelivered, ackFloor: oldest === Infinity ? idleFloor : oldest - 1 };
  }

  ack(seq: number): void {
    this.#settle(seq, this.#stream.spec.retention === 'workqueue');
  }

  /** JetStream's term acks the message (a workqueue stream removes it) and never redelivers. */
  term(seq: number): void {
    this.ack(seq);
  }

  /**
   * Redeliver after `delayMs`. A delay also takes the message off the redelivery queue (its ack
   * wait may have run out while the handler ran), as JetStream's nak with a delay does.
   */
  nak(seq: number, delayMs: number): void {
    const f = this.#inFlight.get(seq);
    if (!f) return;
    f.due = Date.now() + delayMs;
    if (delayMs <= 0) {
      this.#due.add(seq);
    } else {
      this.#due.delete(seq);
      this.#arm(f.due);
    }
    this.dispatch();
  }

  working(seq: number): void {
    const f = this.#inFlight.get(seq);
    if (f && !this.#due.has(seq)) f.due = Date.now() + this.limits.ackWaitMs;
  }

  /** Offers due redeliveries, then new messages, to seats with room, round robin. */
  dispatch(): void {
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      let seat: ConsumerSeat | undefined;
      while ((seat = this.#seatWithRoom())) {
        const next = this.#nextDelivery();
        if (!next) break;
        seat.take(next.msg, next.deliveries);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #nextDelivery(): { msg: StoredMsg; deliveries: number } | undefined {
    const now = Date.now();
    for (const seq of this.#due) {
      this.#due.delete(seq);
      const f = this.#inFlight.get(seq);
      const msg = this.#stream.get(seq, now);
      if (!f || !msg) {
        this.#inFlight.delete(seq);
        continue;
      }
      if (this.limits.maxDeliver > 0 && f.deliveries >= this.limits.maxDeliver) {
        // Given up, as nats-server 2.9 does: not redelivered (its MAX_DELIVERIES advisory is onGiveUp).
        this.#inFlight.delete(seq);
        this.onGiveUp?.(msg, f.deliveries);
        continue;
      }
      return this.#deliver(seq, f, msg, now);
    }
    if (this.#inFlight.size >= this.limits.maxAckPending) return undefined;
    const msg = this.#stream.nextAfter(this.#cursor, this.limits.filterSubject, now);
    if (!msg) return undefined;
    this.#cursor = msg.seq;
    const f: InFlight = { deliveries: 0, due: 0 };
    this.#inFlight.set(msg.seq, f);
    return this.#deliver(msg.seq, f, msg, now);
  }

  #deliver(seq: number, f: InFlight, msg: StoredMsg, now: number): { msg: StoredMsg; deliveries: number } {
    f.deliveries++;
    f.due = now + this.limits.ackWaitMs;
    this.#arm(f.due);
    return { msg, deliveries: f.deliveries };
  }

  #seatWithRoom(): ConsumerSeat | undefined {
    const n = this.#seats.length;
    for (let i = 0; i < n; i++) {
      const seat = this.#seats[(this.#nextSeat + i) % n];
      if (seat.room() > 0) {
        this.#nextSeat = (this.#nextSeat + i + 1) % n;
        return seat;
      }
    }
    return undefined;
  }

  #settle(seq: number, remove: boolean): void {
    if (!this.#inFlight.delete(seq)) return;
    this.#due.delete(seq);
    if (remove) this.#stream.remove(seq);
    this.dispatch();
  }

  /** Timer: moves messages past their deadline to the redelivery queue. */
  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#rearm();
    this.dispatch();
  }

  /** Queues what is due now and arms the timer for the earliest remaining deadline. */
  #rearm(): void {
    const now = Date.now();
    let earliest = Infinity;
    for (const [seq, f] of this.#inFlight) {
      if (this.#due.has(seq)) continue;
      if (f.due <= now) this.#due.add(seq);
      else earliest = Math.min(earliest, f.due);
    }
    if (earliest < Infinity) this.#arm(earliest);
  }

  #arm(at: number): void {
    if (this.#seats.length === 0 || at >= this.#timerAt) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, at - Date.now()));
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }
}

/** Applies ConsumerSpec defaults. */
export function consumerLimits(spec: ConsumerSpec, defaults: { ackWaitMs: number; maxAckPending: number }): ConsumerLimits {
  return {
    filterSubject: spec.filterSubject,
    ackWaitMs: spec.ackWaitMs ?? defaults.ackWaitMs,
    maxDeliver: spec.maxDeliver ?? 0,
    maxAckPending: spec.maxAckPending ?? defaults.maxAckPending,
    ...(spec.deadLetterSubject ? { deadLetterSubject: spec.deadLetterSubject } : {}),
  };
}
