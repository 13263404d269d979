import { describe, expect, it } from 'vitest';
import { avBitrates, initialSize, MIN_IMAGE_EDGE, nextSize, partBudgets } from './ladder.js';
import { carrierLimit, FALLBACK_CARRIER_LIMIT } from './limits.js';

describe('partBudgets', () => {
  it('leaves parts alone when the whole message fits', () => {
    expect(partBudgets([100, 200], [true, true], 1000)).toEqual([100, 200]);
  });

  it('gives a small part its size and the rest of the room to the large one (water-filling)', () => {
    expect(partBudgets([100, 5000], [true, true], 1000)).toEqual([100, 900]);
  });

  it('shares evenly between parts that are all too large', () => {
    expect(partBudgets([4000, 3000], [true, true], 1000)).toEqual([500, 500]);
  });

  it('counts parts that cannot shrink first, and cuts them down (to fail) when they alone are too large', () => {
    expect(partBudgets([300, 5000], [false, true], 1000)).toEqual([300, 700]);
    expect(partBudgets([1200, 5000], [false, true], 1000)).toEqual([1000, 0]);
    expect(partBudgets([1500, 500], [false, false], 1000)).toEqual([750, 250]);
  });
});

describe('image ladder', () => {
  it('brings the long edge down to 1600 px first, keeping the aspect ratio', () => {
    expect(initialSize(4000, 3000)).toEqual({ width: 1600, height: 1200 });
    expect(initialSize(800, 600)).toEqual({ width: 800, height: 600 });
  });

  it('shrinks by about √(budget/bytes), and at least by a fifth', () => {
    expect(nextSize({ width: 1600, height: 1200 }, 400_000, 100_000)).toEqual({ width: 760, height: 570 });
    expect(nextSize({ width: 1000, height: 1000 }, 110_000, 100_000)).toEqual({ width: 800, height: 800 });
  });

  it('gives up below the smallest useful edge', () => {
    expect(nextSize({ width: MIN_IMAGE_EDGE, height: MIN_IMAGE_EDGE }, 100_000, 10_000)).toBeUndefined();
  });
});

describe('avBitrates', () => {
  it('fits a 10 s clip into 600 KB with audio taking its share first', () => {
    const rates = avBitrates(614_400, 10, true)!;
    expect(rates.audioBps).toBe(32_000);
    expect(((rates.videoBps + rates.audioBps) * 10) / 8).toBeLessThanOrEqual(614_400);
  });

  it('refuses a clip too long for the budget', () => {
    expect(avBitrates(100_000, 600, true)).toBeUndefined();
  });
});

describe('carrierLimit', () => {
  it('uses the carrier name, then its type, then the built-in default of the type, then default', () => {
    expect(carrierLimit({ name: 'tw', type: 'twilio' })).toBe(5 * 1024 * 1024);
    expect(carrierLimit({ name: 'tw', type: 'twilio' }, { tw: 1000 })).toBe(1000);
    expect(carrierLimit({ name: 'tx', type: 'telnyx' }, { telnyx: 2000 })).toBe(2000);
    expect(carrierLimit({ name: 'x', type: 'smpp' }, { default: 3000 })).toBe(3000);
    expect(carrierLimit({ name: 'x', type: 'smpp' })).toBe(FALLBACK_CARRIER_LIMIT);
  });
});
