/**
 * A small seeded PRNG (mulberry32) for property-style unit tests: same seed, same sequence, so a
 * failing case can be replayed by its seed and iteration.
 */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** A string of `length` code points drawn from `alphabet` (one element = one code point). */
  string(alphabet: readonly string[], length: number): string;
  /** Random bytes. */
  bytes(length: number): Buffer;
}

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)];
  return {
    next,
    int,
    pick,
    string: (alphabet, length) => Array.from({ length }, () => pick(alphabet)).join(''),
    bytes: (length) => Buffer.from(Array.from({ length }, () => int(0, 255))),
  };
}
