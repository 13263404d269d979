import { describe, expect, it } from 'vitest';
import { shutdownBudget } from './shutdown.js';

describe('shutdownBudget', () => {
  it('fits the SMPP unbind and three bus drain steps inside the deadline, with room for the rest', () => {
    for (const secs of [1, 2, 5, 10, 30, 45, 60, 120, 600]) {
      const b = shutdownBudget(secs * 1000);
      expect(b.timeoutMs).toBe(secs * 1000);
      expect(b.smppUnbindMs + 3 * b.busDrainMs, `${secs} s`).toBeLessThanOrEqual(0.75 * b.timeoutMs);
    }
  });

  it('keeps the drains of the default 30 s deadline and caps them for long ones', () => {
    expect(shutdownBudget(30_000)).toEqual({ timeoutMs: 30_000, smppUnbindMs: 6_000, busDrainMs: 5_000 });
    expect(shutdownBudget(600_000)).toMatchObject({ smppUnbindMs: 10_000, busDrainMs: 10_000 });
  });
});
