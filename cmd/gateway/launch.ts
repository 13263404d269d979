/**
 * The flags production starts node with (`npm start`, the image's CMD; launch.test.ts keeps them
 * in step), which the benchmarks and the compiled-build test use too, so they measure and test
 * what runs.
 *
 * --max-semi-space-size=32 (MB; V8's default on 64-bit is 16): a loaded node keeps a window of
 * messages in flight (an SMPP client's 100 unanswered submits, each with its PDU, message, bus
 * and Redis commands), and each young-generation collection copies all of it. Doubling the young
 * generation halves the collections and lets more of that window finish before the next one:
 * bench:smpp's ingress alone went from 0.13–0.15 to 0.10–0.11 ms of CPU per message (minor GC
 * 813–918 → 330–361 ms over 32,000 submits).
 *
 * --heap-growing-percent=100: after a full collection V8 lets the old generation grow to twice
 * what survived before the next one, instead of up to ~4× on a machine with memory to spare.
 * A loaded node's live heap is ~45 MB (a heap snapshot mid-burst); the rest of a 150–170 MB old
 * space was garbage waiting for a collection. Peak RSS in the benchmarks fell from 315–336 to
 * 215–242 MB, for a few more full collections (+60–80 ms over 40,000 messages, < 1 % of the CPU).
 * Both are V8 flags of node 20's V8 (the image's); see docs/decisions.md.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32', '--heap-growing-percent=100'];
