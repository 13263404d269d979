import type { Writable } from 'node:stream';

const corked = new WeakSet<Writable>();

/**
 * Corks `stream` until the end of this event-loop turn (setImmediate), once per turn: everything
 * written to it meanwhile leaves in one writev. Call before each write.
 *
 * One write(2) per small message is expensive on a loaded node (a loopback write runs the
 * receiver's TCP path inline): an SMPP session answering a window of submits, or a Redis
 * connection carrying a quota script per message, made one each. The cost is at most one turn
 * of latency. end() flushes a corked stream, so closing needs no care.
 */
export function corkForTurn(stream: Writable): void {
  if (corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  setImmediate(() => {
    corked.delete(stream);
    stream.uncork();
  });
}

/**
 * Corks `stream` until the microtasks of the current task have run: what one socket event sets
 * off (a window of answers, the next deliver_sm for each slot they free) leaves in one writev,
 * without waiting for the rest of the turn. On a node busy with other sockets the turn is long,
 * and a write held to its end adds that to every SMPP round trip, which the window divides.
 */
export function corkForTask(stream: Writable): void {
  if (corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  queueMicrotask(() => {
    corked.delete(stream);
    stream.uncork();
  });
}
