/**
 * The AutoReplyState contract (internal/autoreply/types.ts) as tests, run against every
 * implementation:
 *
 *   describeAutoReplyState('MemoryAutoReplyState', () => ({ newState: () => new MemoryAutoReplyState() }));
 *
 * `newState` returns states over one empty store of the fixture's (a fresh Redis key prefix):
 * two states from one fixture play two nodes sharing it. Cooldowns expire in real time, so the
 * TTLs here are short.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AutoReplyState } from '../../internal/autoreply/index.js';

export interface AutoReplyStateFixture {
  /** A state over the fixture's store; each call is another "node" on that same store. */
  newState(): AutoReplyState;
  close?(): Promise<void>;
}

const NUMBER = '+15550001000';
const SENDER = '+15557770001';
const LONG_MS = 60_000;
const SHORT_MS = 120;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeAutoReplyState(name: string, makeFixture: () => AutoReplyStateFixture | Promise<AutoReplyStateFixture>): void {
  describe(`${name} (AutoReplyState)`, () => {
    let fixture: AutoReplyStateFixture | undefined;
    const state = async (): Promise<AutoReplyState> => {
      fixture ??= await makeFixture();
      return fixture.newState();
    };

    afterEach(async () => {
      await fixture?.close?.();
      fixture = undefined;
    });

    it('starts a cooldown once: a second message within it is refused', async () => {
      const s = await state();
      expect(await s.claimCooldown(NUMBER, SENDER, 'm1', LONG_MS)).toBe(true);
      expect(await s.claimCooldown(NUMBER, SENDER, 'm2', LONG_MS)).toBe(false);
    });

    it('gives the holder the same answer again (a redelivered message)', async () => {
      const s = await state();
      expect(await s.claimCooldown(NUMBER, SENDER, 'm1', LONG_MS)).toBe(true);
      expect(await s.claimCooldown(NUMBER, SENDER, 'm1', LONG_MS)).toBe(true);
    });

    it('keeps pairs apart: another sender or another number has its own cooldown', async () => {
      const s = await state();
      expect(await s.claimCooldown(NUMBER, SENDER, 'm1', LONG_MS)).toBe(true);
      expect(await s.claimCooldown(NUMBER, '+15557770002', 'm2', LONG_MS)).toBe(true);
      expect(await s.claimCooldown('+15550001001', SENDER, 'm3', LONG_MS)).toBe(true);
    });

    it('allows the next message once the cooldown has run out', async () => {
      const s = await state();
      expect(await s.claimCooldown(NUMBER, SENDER, 'm1', SHORT_MS)).toBe(true);
      expect(await s.claimCooldown(NUMBER, SENDER, 'm2', SHORT_MS)).toBe(false);
      await sleep(SHORT_MS + 80);
      expect(await s.claimCooldown(NUMBER, SENDER, 'm3', SHORT_MS)).toBe(true);
    });

    it('holds a cooldown across states sharing the store, and lets exactly one of many racers claim it', async () => {
      const a = await state();
      const b = await state();
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).claimCooldown(NUMBER, SENDER, `m${i}`, LONG_MS)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      const winner = `m${claims.indexOf(true)}`;
      expect(await a.claimCooldown(NUMBER, SENDER, winner, LONG_MS)).toBe(true);
      expect(await b.claimCooldown(NUMBER, SENDER, winner, LONG_MS)).toBe(true);
    });

    it('remembers an opt-out until the sender opts back in, on every state', async () => {
      const a = await state();
      const b = await state();
      expect(await b.isOptedOut(NUMBER, SENDER)).toBe(false);
      await a.setOptOut(NUMBER, SENDER, true);
      expect(await b.isOptedOut(NUMBER, SENDER)).toBe(true);
      expect(await b.isOptedOut(NUMBER, '+15557770002')).toBe(false);
      expect(await b.isOptedOut('+15550001001', SENDER)).toBe(false);
      await b.setOptOut(NUMBER, SENDER, false);
      expect(await a.isOptedOut(NUMBER, SENDER)).toBe(false);
    });
  });
}
