import { afterEach, describe, expect, it, vi } from 'vitest';
import { sendParts, SLOT_WAIT_KEEPALIVE_MS, type SendJob } from './part-sender.js';
import type { SessionPool } from './session-pool.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('sendParts', () => {
  it('keeps the bus delivery alive while the job waits for a window slot', async () => {
    vi.useFakeTimers();
    const waitMs = 5 * SLOT_WAIT_KEEPALIVE_MS + 100;
    // Every slot stays taken for waitMs, then the client's last session goes.
    const pool = { acquire: () => new Promise((resolve) => setTimeout(() => resolve(null), waitMs)) } as unknown as SessionPool;
    let working = 0;
    const job = {
      pool,
      parts: [{}],
      addresses: {},
      msg: { working: () => void working++ },
      signal: new AbortController().signal,
      observe: () => undefined,
    } as unknown as SendJob;
    const result = sendParts(job, { retries: 0, retryDelayMs: 1, throttleMaxWaitMs: 1 });
    await vi.advanceTimersByTimeAsync(waitMs);
    expect(await result).toEqual({ kind: 'unbound' });
    expect(working).toBeGreaterThanOrEqual(5); // once on arrival, then each keep-alive tick
  });
});
