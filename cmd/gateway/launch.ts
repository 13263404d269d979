/**
 * The flags production starts node with (`npm start`, the image's CMD; launch.test.ts keeps them
 * in step), which the benchmarks and the compiled-build test use too, so they measure and test
 * what runs. Both are V8 flags; the measurements behind them are in docs/decisions.md.
 *
 * --max-semi-space-size=32 (MB; V8's default is 16): a loaded node keeps a window of messages in
 * flight, and each young-generation collection copies all of it; a young generation twice as
 * large collects half as often and lets more of that window finish first.
 *
 * --heap-growing-percent=100: the old generation may grow to twice what survived a full
 * collection, not up to ~4×, so a node's memory follows its live heap.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32', '--heap-growing-percent=100'];
