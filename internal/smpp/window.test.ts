import { afterEach, describe, expect, it, vi } from 'vitest';
import { SmppSessionClosedError, SmppTimeoutError } from './ports.js';
import { PendingRequests, SendWindow } from './window.js';

afterEach(() => vi.useRealTimers());

describe('SendWindow', () => {
  it('lets `size` requests in and queues the rest in order', async () => {
    const window = new SendWindow(2);
    await window.acquire();
    await window.acquire();
    const order: number[] = [];
    const third = window.acquire().then(() => order.push(3));
    const fourth = window.acquire().then(() => order.push(4));
    expect(window.waiting).toBe(2);
    window.release();
    await third;
    expect(order).toEqual([3]);
    window.release();
    await fourth;
    expect(order).toEqual([3, 4]);
    expect(window.inFlight).toBe(2);
    window.release();
    window.release();
    expect(window.inFlight).toBe(0);
  });

  it('rejects waiters and later acquires once closed', async () => {
    const window = new SendWindow(1);
    await window.acquire();
    const waiting = window.acquire();
    window.close(new SmppSessionClosedError('gone'));
    await expect(waiting).rejects.toBeInstanceOf(SmppSessionClosedError);
    await expect(window.acquire()).rejects.toBeInstanceOf(SmppSessionClosedError);
  });

  it('refuses a size below one', () => {
    expect(() => new SendWindow(0)).toThrow(RangeError);
  });
});

describe('PendingRequests', () => {
  it('resolves with the matching response and ignores unknown sequence numbers', async () => {
    const pending = new PendingRequests<string>(1000);
    const answer = pending.wait(7, 'deliver_sm');
    expect(pending.settle(8, 'other')).toBeUndefined();
    expect(pending.settle(7, 'resp')?.command).toBe('deliver_sm');
    await expect(answer).resolves.toBe('resp');
    expect(pending.size).toBe(0);
  });

  it('times out a request whose response never comes', async () => {
    vi.useFakeTimers();
    const pending = new PendingRequests<string>(500);
    const answer = pending.wait(1, 'deliver_sm');
    vi.advanceTimersByTime(499);
    expect(pending.size).toBe(1);
    vi.advanceTimersByTime(1);
    await expect(answer).rejects.toBeInstanceOf(SmppTimeoutError);
    expect(pending.size).toBe(0);
  });

  it('fails everything waiting when the session ends', async () => {
    const pending = new PendingRequests<string>(1000);
    const a = pending.wait(1, 'deliver_sm');
    const b = pending.wait(2, 'enquire_link', 50);
    pending.failAll();
    await expect(a).rejects.toBeInstanceOf(SmppSessionClosedError);
    await expect(b).rejects.toBeInstanceOf(SmppSessionClosedError);
  });
});
