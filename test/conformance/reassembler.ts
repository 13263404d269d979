/**
 * The Reassembler contract (internal/smpp/ports.ts) as tests, run against every implementation:
 *
 *   describeReassembler('MemoryReassembler', () => ({ newReassembler: (o) => new MemoryReassembler(o) }));
 *
 * `newReassembler` must return a reassembler with an empty store of its own (a fresh Redis key
 * prefix). Ages are driven through `receivedAt` and takeExpired's `now`, never by waiting.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError, ValidationError } from '../../internal/errors/index.js';
import { ReassemblyFullError, SmppStatus, toCommandStatus } from '../../internal/smpp/index.js';
import type { ConcatPart, ExpiredSet, Reassembler, ReassemblyLimits } from '../../internal/smpp/index.js';
import { seededRandom } from '../support/seeded-random.js';

export interface ReassemblerFixture {
  /** A reassembler over an empty store, closed by the suite after the test. */
  newReassembler(opts: { ttlMs: number } & ReassemblyLimits): Reassembler | Promise<Reassembler>;
  /** Called after each test, once its reassemblers are closed. */
  close?(): Promise<void>;
}

/** Long enough that no set expires unless a test says so through receivedAt / now. */
export const TTL_MS = 60_000;

/** Limits no test reaches unless it sets its own. */
export const GENEROUS_LIMITS: ReassemblyLimits = { maxOpenSetsPerClient: 10_000, maxOpenBytesPerClient: 64 << 20 };

/** The first `total` parts of one set, with texts and message ids that tell them apart. */
export function setParts(total: number, over: Partial<ConcatPart> = {}, receivedAt = Date.now()): ConcatPart[] {
  return Array.from({ length: total }, (_, i) => {
    const base: ConcatPart = {
      clientId: 7,
      from: '+15550001111',
      to: '+15550002222',
      ref: 42,
      total,
      seq: i + 1,
      text: '',
      messageId: '',
      registeredDelivery: 1,
      dataCoding: 0,
      receivedAt,
      node: 'node-a',
      sourceIp: '192.0.2.10',
      ...over,
    };
    const tag = `${base.clientId}/${base.from}/${base.to}/${base.ref}/${base.total}#${base.seq}`;
    return { ...base, text: `text ${tag} ✓`, messageId: `msg ${tag}` };
  });
}

export async function addInOrder(r: Reassembler, parts: readonly ConcatPart[]): Promise<Array<ConcatPart[] | null>> {
  const out: Array<ConcatPart[] | null> = [];
  for (const p of parts) out.push(await r.add(p));
  return out;
}

/** The non-null results of a batch of adds. */
export function completions(results: ReadonlyArray<ConcatPart[] | null>): ConcatPart[][] {
  return results.filter((x): x is ConcatPart[] => x !== null);
}

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const rnd = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rnd.int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function expiredKey(s: ExpiredSet): string {
  return `${s.clientId}/${s.from}/${s.to}/${s.ref}/${s.total}`;
}

export function describeReassembler(name: string, setup: () => ReassemblerFixture | Promise<ReassemblerFixture>): void {
  describe(`Reassembler conformance: ${name}`, () => {
    let fixture: ReassemblerFixture;
    let made: Reassembler[];
    const reassembler = async (ttlMs = TTL_MS, limits = GENEROUS_LIMITS): Promise<Reassembler> => {
      const r = await fixture.newReassembler({ ttlMs, ...limits });
      made.push(r);
      return r;
    };

    beforeEach(async () => {
      fixture = await setup();
      made = [];
    });

    afterEach(async () => {
      await Promise.allSettled(made.map((r) => r.close()));
      await fixture.close?.();
    });

    describeJoining(() => reassembler());
    describeConcurrency(() => reassembler());
    describeExpiry(() => reassembler());
    describeLimits((limits) => reassembler(TTL_MS, { ...GENEROUS_LIMITS, ...limits }));

    describe('misuse', () => {
      it('rejects a seq outside 1..total with ValidationError', async () => {
        const r = await reassembler();
        const [p] = setParts(3);
        await expect(r.add({ ...p, seq: 0 })).rejects.toBeInstanceOf(ValidationError);
        await expect(r.add({ ...p, seq: 4 })).rejects.toBeInstanceOf(ValidationError);
        await expect(r.add({ ...p, seq: 1.5 })).rejects.toBeInstanceOf(ValidationError);
      });

      it('rejects add and takeExpired after close', async () => {
        const r = await reassembler();
        await r.close();
        await expect(r.add(setParts(2)[0])).rejects.toBeInstanceOf(UnavailableError);
        await expect(r.takeExpired()).rejects.toBeInstanceOf(UnavailableError);
      });
    });
  });
}

function describeJoining(reassembler: () => Promise<Reassembler>): void {
  describe('add', () => {
    it('returns null until the last part, then every part ordered by seq', async () => {
      const r = await reassembler();
      const parts = setParts(3);
      expect(await addInOrder(r, parts)).toEqual([null, null, parts]);
    });

    it('joins parts that arrive in reverse order', async () => {
      const r = await reassembler();
      const parts = setParts(4);
      expect(await addInOrder(r, [...parts].reverse())).toEqual([null, null, null, parts]);
    });

    it('joins parts that arrive in any order', async () => {
      const r = await reassembler();
      for (let seed = 1; seed <= 20; seed++) {
        const parts = setParts(2 + (seed % 9), { ref: seed });
        const results = await addInOrder(r, shuffle(parts, seed));
        expect(
          results.slice(0, -1).every((x) => x === null),
          `seed ${seed}`,
        ).toBe(true);
        expect(results.at(-1), `seed ${seed}`).toEqual(parts);
      }
    });

    it('completes a one-part set at once', async () => {
      const r = await reassembler();
      const parts = setParts(1);
      expect(await r.add(parts[0])).toEqual(parts);
    });

    it('treats 8-bit and 16-bit references as plain numbers', async () => {
      const r = await reassembler();
      const sets = [0, 0x12, 0xff, 0x100, 0x1234, 0xffff].map((ref) => setParts(2, { ref }));
      for (const set of sets) expect(await r.add(set[0])).toBeNull();
      for (const set of sets) expect(await r.add(set[1])).toEqual(set);
    });

    it('ignores a repeated seq and keeps the first copy', async () => {
      const r = await reassembler();
      const parts = setParts(3);
      expect(await r.add(parts[0])).toBeNull();
      expect(await r.add({ ...parts[0], text: 'retried copy', messageId: 'other' })).toBeNull();
      expect(await r.add(parts[0])).toBeNull();
      expect(await r.add(parts[2])).toBeNull();
      expect(await r.add(parts[1])).toEqual(parts);
    });

    it('keeps sets with the same ref apart when client, numbers or total differ', async () => {
      const r = await reassembler();
      const variants: Array<Partial<ConcatPart>> = [
        {},
        { clientId: 8 },
        { from: '+15550009999' },
        { to: '+15550008888' },
        { from: '+15550002222', to: '+15550001111' },
      ];
      const sets = [...variants.map((v) => setParts(3, v)), setParts(4)];
      for (const seq of [0, 1]) for (const set of sets) expect(await r.add(set[seq])).toBeNull();
      for (const set of sets.slice(0, -1)) expect(await r.add(set[2])).toEqual(set);
      const four = sets.at(-1)!;
      expect(await r.add(four[2])).toBeNull();
      expect(await r.add(four[3])).toEqual(four);
    });

    it('joins a 255-part set', async () => {
      const r = await reassembler();
      const parts = setParts(255, { ref: 0xabcd });
      const results = await addInOrder(r, shuffle(parts, 255));
      expect(completions(results.slice(0, -1))).toEqual([]);
      expect(results.at(-1)).toEqual(parts);
    });

    it('forgets a completed set: its parts start a new set', async () => {
      const r = await reassembler();
      const parts = setParts(2);
      await addInOrder(r, parts);
      expect(await r.add(parts[1])).toBeNull();
      expect(await r.add(parts[0])).toEqual(parts);
    });
  });
}

function describeConcurrency(reassembler: () => Promise<Reassembler>): void {
  describe('concurrent add', () => {
    it('gives the complete set to exactly one of many simultaneous adds', async () => {
      const r = await reassembler();
      const parts = setParts(40);
      const done = completions(await Promise.all(shuffle(parts, 40).map((p) => r.add(p))));
      expect(done).toEqual([parts]);
    });

    it('gives the complete set to exactly one of several copies of the last part', async () => {
      const r = await reassembler();
      const parts = setParts(5);
      await addInOrder(r, parts.slice(0, 3));
      const racing = [parts[3], parts[4], parts[4], parts[3], parts[4]];
      const done = completions(await Promise.all(racing.map((p) => r.add(p))));
      expect(done).toEqual([parts]);
    });

    it('completes many interleaved sets exactly once each', async () => {
      const r = await reassembler();
      const sets = Array.from({ length: 10 }, (_, i) => setParts(3 + (i % 4), { ref: 1000 + i }));
      const done = completions(await Promise.all(shuffle(sets.flat(), 10).map((p) => r.add(p))));
      expect(done.map((s) => s[0].ref).sort()).toEqual(sets.map((s) => s[0].ref).sort());
      for (const set of done) expect(set).toEqual(sets.find((s) => s[0].ref === set[0].ref));
    });
  });
}

function describeExpiry(reassembler: () => Promise<Reassembler>): void {
  describe('takeExpired', () => {
    const now = Date.now();
    const old = now - 2 * TTL_MS;

    it('returns only sets older than the TTL, once, with the parts that arrived', async () => {
      const r = await reassembler();
      const stale = setParts(3, { ref: 1 }, old);
      const fresh = setParts(2, { ref: 2 }, now);
      await addInOrder(r, [stale[2], stale[0], fresh[0]]);
      expect(await r.takeExpired(now)).toEqual([
        { clientId: 7, from: '+15550001111', to: '+15550002222', ref: 1, total: 3, parts: [stale[0], stale[2]] },
      ]);
      expect(await r.takeExpired(now)).toEqual([]);
      expect(await r.add(fresh[1])).toEqual(fresh);
    });

    it('never returns a completed set', async () => {
      const r = await reassembler();
      await addInOrder(r, setParts(2, {}, old));
      expect(await r.takeExpired(now)).toEqual([]);
    });

    it('counts the age from the first part, expiring at exactly the TTL', async () => {
      const r = await reassembler();
      const first = now - TTL_MS + 1_000;
      const parts = setParts(3, {}, first);
      await r.add(parts[0]);
      await r.add({ ...parts[1], receivedAt: now });
      expect(await r.takeExpired(now)).toEqual([]);
      expect(await r.takeExpired(first + TTL_MS - 1)).toEqual([]);
      const [set] = await r.takeExpired(first + TTL_MS);
      expect(set.parts.map((p) => p.seq)).toEqual([1, 2]);
    });

    it('uses the clock when no time is given', async () => {
      const r = await reassembler();
      await r.add(setParts(2, {}, Date.now() - TTL_MS - 1_000)[0]);
      expect(await r.takeExpired()).toHaveLength(1);
    });

    it('starts a new set when a part arrives after its set expired', async () => {
      const r = await reassembler();
      const parts = setParts(2, {}, old);
      await r.add(parts[0]);
      await r.takeExpired(now);
      const late = { ...parts[1], receivedAt: now };
      expect(await r.add(late)).toBeNull();
      expect(await r.add({ ...parts[0], receivedAt: now })).toEqual([{ ...parts[0], receivedAt: now }, late]);
    });

    it('hands each expired set to exactly one of simultaneous callers', async () => {
      const r = await reassembler();
      const sets = Array.from({ length: 12 }, (_, i) => setParts(3, { ref: i, clientId: 1 + (i % 3) }, old));
      for (const set of sets) await r.add(set[1]);
      const taken = (await Promise.all([1, 2, 3, 4].map(() => r.takeExpired(now)))).flat();
      expect(taken.map(expiredKey).sort()).toEqual(sets.map((s) => expiredKey({ ...s[0], parts: [] })).sort());
      for (const set of taken) expect(set.parts).toEqual([sets[set.ref][1]]);
    });
  });
}

function describeLimits(reassembler: (limits: Partial<ReassemblyLimits>) => Promise<Reassembler>): void {
  describe('limits per client', () => {
    const now = Date.now();
    const old = now - 2 * TTL_MS;
    const full = async (promise: Promise<unknown>): Promise<void> => {
      const err = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ReassemblyFullError);
      expect(toCommandStatus(err)).toBe(SmppStatus.RMSGQFUL);
    };

    it('refuses part 1 of ever new refs past maxOpenSetsPerClient with ESME_RMSGQFUL, holding no more', async () => {
      const r = await reassembler({ maxOpenSetsPerClient: 25 });
      let refused = 0;
      for (let ref = 0; ref < 1_000; ref++) {
        const err = await r.add(setParts(255, { ref })[0]).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (err === undefined) continue;
        expect(err).toBeInstanceOf(ReassemblyFullError);
        refused++;
      }
      expect(refused).toBe(975);
      const held = await r.takeExpired(now + 2 * TTL_MS);
      expect(held.map((s) => s.ref).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    });

    it('still takes the next parts of open sets, repeats, and other clients at the limit', async () => {
      const r = await reassembler({ maxOpenSetsPerClient: 2 });
      const [a, b] = [setParts(3, { ref: 1 }), setParts(3, { ref: 2 })];
      await addInOrder(r, [a[0], b[0]]);
      await full(r.add(setParts(3, { ref: 3 })[0]));
      expect(await r.add(a[0])).toBeNull();
      expect(await r.add(a[1])).toBeNull();
      expect(await r.add(setParts(3, { clientId: 8 })[0])).toBeNull();
      expect(await r.add(a[2])).toEqual(a);
    });

    it('gives a client its room back when a set completes or expires', async () => {
      const r = await reassembler({ maxOpenSetsPerClient: 2 });
      const done = setParts(2, { ref: 1 });
      const stale = setParts(2, { ref: 2 }, old);
      await addInOrder(r, [done[0], stale[0]]);
      await full(r.add(setParts(2, { ref: 3 })[0]));
      expect(await r.add(done[1])).toEqual(done);
      expect(await r.add(setParts(2, { ref: 3 })[0])).toBeNull();
      await full(r.add(setParts(2, { ref: 4 })[0]));
      expect(await r.takeExpired(now)).toHaveLength(1);
      expect(await r.add(setParts(2, { ref: 4 })[0])).toBeNull();
    });

    it('bounds the part bytes a client holds, but always takes the part that completes a set', async () => {
      const r = await reassembler({ maxOpenBytesPerClient: 100 });
      const text = 'é'.repeat(30); // 60 bytes of UTF-8
      const a = setParts(3, { ref: 1 }).map((p) => ({ ...p, text }));
      const b = setParts(2, { ref: 2 }).map((p) => ({ ...p, text }));
      expect(await r.add(a[0])).toBeNull();
      await full(r.add(a[1]));
      await full(r.add(b[0]));
      expect(await r.add(setParts(2, { clientId: 8, ref: 2 }).map((p) => ({ ...p, text }))[0])).toBeNull();
      expect(await r.add({ ...a[1], text: 'short' })).toBeNull();
      expect(await r.add(a[2])).toEqual([a[0], { ...a[1], text: 'short' }, a[2]]);
      expect(await r.add(b[0])).toBeNull();
      expect(await r.add(b[1])).toEqual(b);
    });

    it('stores a part put back after a failed store even over the limits', async () => {
      const r = await reassembler({ maxOpenSetsPerClient: 1 });
      const [a, b] = [setParts(2, { ref: 1 }), setParts(2, { ref: 2 })];
      expect(await r.add(a[0])).toBeNull();
      await full(r.add(b[0]));
      expect(await r.add(b[0], { restore: true })).toBeNull();
      expect(await r.add(b[1])).toEqual(b);
      expect(await r.add(a[1])).toEqual(a);
      expect(await r.add(setParts(2, { ref: 3 })[0])).toBeNull();
    });
  });
}
