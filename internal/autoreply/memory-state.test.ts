import { describe, expect, it } from 'vitest';
import { describeAutoReplyState } from '../../test/conformance/auto-reply-state.js';
import { MemoryAutoReplyState } from './memory-state.js';

describeAutoReplyState('MemoryAutoReplyState', () => {
  const shared = new MemoryAutoReplyState();
  // One node in the embedded default: every "node" of the suite is the same map.
  return { newState: () => shared };
});

describe('MemoryAutoReplyState bounds', () => {
  it('forgets the oldest pairs beyond maxPairs', async () => {
    const state = new MemoryAutoReplyState({ maxPairs: 2 });
    for (const sender of ['+1', '+2', '+3']) expect(await state.claimCooldown('+9', sender, 'm', 60_000)).toBe(true);
    expect(await state.claimCooldown('+9', '+1', 'other', 60_000)).toBe(true);
    expect(await state.claimCooldown('+9', '+3', 'other', 60_000)).toBe(false);
    for (const sender of ['+1', '+2', '+3']) await state.setOptOut('+9', sender, true);
    expect(await state.isOptedOut('+9', '+1')).toBe(false);
    expect(await state.isOptedOut('+9', '+3')).toBe(true);
  });

  it('follows an injected clock', async () => {
    let now = 1_000;
    const state = new MemoryAutoReplyState({ now: () => now });
    expect(await state.claimCooldown('+9', '+1', 'a', 60_000)).toBe(true);
    now += 59_999;
    expect(await state.claimCooldown('+9', '+1', 'b', 60_000)).toBe(false);
    now += 1;
    expect(await state.claimCooldown('+9', '+1', 'b', 60_000)).toBe(true);
  });
});
