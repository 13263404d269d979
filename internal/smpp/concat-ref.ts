/**
 * Concatenation references for outbound long messages (3GPP TS 23.040 §9.2.3.24.1): a handset
 * joins parts that share (originator, reference), so two long messages to one destination in
 * flight at once need different references. Each destination gets its own counter, starting at
 * a random value so that nodes (each with its own counters) rarely pick the same one.
 */

/** Destinations remembered; the least recently used is forgotten beyond this. */
export const DEFAULT_MAX_DESTINATIONS = 10_000;

export class ConcatRefs {
  /** Last reference given per destination; Map order is least recently used first. */
  readonly #last = new Map<string, number>();

  constructor(
    private readonly bits: 8 | 16 = 8,
    private readonly maxDestinations = DEFAULT_MAX_DESTINATIONS,
    private readonly random: () => number = Math.random,
  ) {}

  /** The next reference for `destination`: one more than the last (wrapping), random at first. */
  next(destination: string): number {
    const mask = this.bits === 8 ? 0xff : 0xffff;
    const last = this.#last.get(destination);
    const ref = last === undefined ? Math.floor(this.random() * (mask + 1)) & mask : (last + 1) & mask;
    this.#last.delete(destination);
    this.#last.set(destination, ref);
    if (this.#last.size > this.maxDestinations) this.#last.delete(this.#last.keys().next().value as string);
    return ref;
  }
}
