/**
 * The pure decisions of transcoding: how a message's size budget is shared among its parts,
 * and how an image is stepped down (quality first, then size) until it fits.
 */

/** Per-part room left for container overhead and rounding when a target is computed from bitrates. */
export const SAFETY = 0.92;
/** JPEG qualities tried at each size, best first (upstream went 85…5; below ~40 artefacts dominate). */
export const JPEG_QUALITIES = [82, 65, 48, 35] as const;
/** GIF palette sizes tried at each size for animations. */
export const GIF_COLOURS = [128, 64, 32] as const;
/** Long edge an MMS image is first brought down to: handsets show no more, and it saves most bytes. */
export const MAX_IMAGE_EDGE = 1600;
/** Below this long edge an image is not worth sending: the part cannot be made to fit. */
export const MIN_IMAGE_EDGE = 120;

/**
 * The byte budget of each part when the message must fit `limit` bytes. Parts that cannot be
 * made smaller (`shrinkable` false) keep their size, or share the limit in proportion when
 * they alone exceed it (they then fail, named). The rest share what remains, smallest first,
 * so a part under its fair share keeps its bytes and leaves the remainder to the larger ones
 * (water-filling). A part whose budget is below its size must be transcoded.
 */
export function partBudgets(sizes: readonly number[], shrinkable: readonly boolean[], limit: number): number[] {
  const fixed = sizes.reduce((sum, size, i) => sum + (shrinkable[i] ? 0 : size), 0);
  const budgets = sizes.map((size, i) => (shrinkable[i] || fixed <= limit ? size : Math.floor((limit * size) / fixed)));
  let remaining = Math.max(0, limit - fixed);
  const order = sizes
    .map((_, i) => i)
    .filter((i) => shrinkable[i])
    .sort((a, b) => sizes[a]! - sizes[b]!);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    budgets[i] = Math.min(sizes[i]!, Math.floor(remaining / (order.length - k)));
    remaining -= budgets[i]!;
  }
  return budgets;
}

/** The starting size of an image: its own, or scaled so the long edge is at most MAX_IMAGE_EDGE. */
export function initialSize(width: number, height: number, maxEdge = MAX_IMAGE_EDGE): { width: number; height: number } {
  const scale = Math.min(1, maxEdge / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * The next, smaller size to try after the lowest quality still gave `bytes` for a `budget`:
 * bytes grow with the pixel count, so the edge shrinks by √(budget/bytes), with a margin, and
 * by at least a fifth so the ladder always moves. undefined when that is below MIN_IMAGE_EDGE.
 */
export function nextSize(
  current: { width: number; height: number },
  bytes: number,
  budget: number,
): { width: number; height: number } | undefined {
  const factor = Math.min(0.8, Math.sqrt(budget / bytes) * 0.95);
  const width = Math.round(current.width * factor);
  const height = Math.round(current.height * factor);
  if (Math.max(width, height) < MIN_IMAGE_EDGE) return undefined;
  return { width: Math.max(1, width), height: Math.max(1, height) };
}

/**
 * Bitrates (bits/s) for a clip of `durationSecs` to land under `budgetBytes`; undefined when
 * even the lowest useful rates would not fit. Audio takes its share first (at most `audioMax`).
 */
export function avBitrates(
  budgetBytes: number,
  durationSecs: number,
  hasAudio: boolean,
  audioMax = 32_000,
): { videoBps: number; audioBps: number } | undefined {
  const totalBps = Math.floor((budgetBytes * 8 * SAFETY) / Math.max(durationSecs, 0.5));
  const audioBps = hasAudio ? Math.min(audioMax, Math.max(8_000, Math.floor(totalBps / 5))) : 0;
  const videoBps = totalBps - audioBps;
  if (videoBps < 16_000) return undefined;
  return { videoBps, audioBps };
}
