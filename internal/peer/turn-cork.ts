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
