/**
 * KV and lease part of the durable bus conformance suite (see durable-bus.ts, which calls
 * `describeLeases` inside its own describe with the shared test context).
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../internal/errors/index.js';
import type { Bus, KvBucket } from '../../internal/bus/index.js';
import { Lease } from '../../internal/cluster/index.js';
import { eventually, sleep, type DurableTestContext } from './durable-helpers.js';

interface LeaseEvent {
  node: string;
  leader: boolean;
  at: number;
}

export function describeLeases(ctx: DurableTestContext): void {
  const bucketName = (): string => `${ctx.prefix}_kv`;
  const ttl = (): number => ctx.fixture.timing.ttlMs;
  const bucket = (bus: Bus, ttlMs = ttl()): Promise<KvBucket> => bus.kv(bucketName(), { ttlMs });

  describe('KV', () => {
    it('creates only absent keys and updates only the current revision', async () => {
      const [a, b] = [await ctx.node('a'), await ctx.node('b')];
      const [ka, kb] = [await bucket(a, 60_000), await bucket(b, 60_000)];
      const r1 = await ka.create('carrier-1', 'a');
      expect(r1).toBeGreaterThan(0);
      expect(await kb.create('carrier-1', 'b')).toBeNull();
      expect(await kb.get('carrier-1')).toEqual({ value: 'a', revision: r1 });
      const r2 = await ka.update('carrier-1', 'a2', r1 as number);
      expect(r2).toBeGreaterThan(r1 as number);
      expect(await kb.update('carrier-1', 'b', r1 as number)).toBeNull();
      expect(await kb.get('carrier-1')).toEqual({ value: 'a2', revision: r2 });
      expect(await kb.get('nobody')).toBeNull();
    });

    it('deletes (only at the given revision) and lets the key be created again', async () => {
      const a = await ctx.node('a');
      const kv = await bucket(a, 60_000);
      const r1 = (await kv.create('k', 'v1')) as number;
      const r2 = (await kv.update('k', 'v2', r1)) as number;
      expect(await kv.delete('k', r1)).toBe(false);
      expect(await kv.get('k')).toEqual({ value: 'v2', revision: r2 });
      expect(await kv.delete('k', r2)).toBe(true);
      expect(await kv.get('k')).toBeNull();
      expect(await kv.update('k', 'v3', r2)).toBeNull();
      const r3 = await kv.create('k', 'again');
      expect(r3).toBeGreaterThan(r2);
      expect(await kv.delete('k')).toBe(true);
      expect(await kv.get('k')).toBeNull();
    });

    it('expires an entry one TTL after its last write (the TTL of the latest kv() call)', async () => {
      const a = await ctx.node('a');
      await bucket(a, 60_000);
      const kv = await bucket(a, 1_000);
      const r1 = (await kv.create('k', 'v')) as number;
      await sleep(500);
      await kv.update('k', 'v2', r1);
      const written = Date.now();
      await sleep(700);
      expect(await kv.get('k')).not.toBeNull();
      await eventually('expiry', async () => (await kv.get('k')) === null, 5_000);
      expect(Date.now() - written).toBeGreaterThanOrEqual(950);
      expect(await kv.create('k', 'fresh')).not.toBeNull();
    });

    it('rejects invalid keys with ValidationError', async () => {
      const kv = await bucket(await ctx.node('a'));
      await expect(kv.get('has space')).rejects.toBeInstanceOf(ValidationError);
      await expect(kv.create('a.*', 'x')).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('Lease', () => {
    const events: LeaseEvent[] = [];
    const lease = async (bus: Bus, node: string): Promise<Lease> => {
      const l = new Lease({ bucket: await bucket(bus), key: 'carrier-7', nodeId: node, ttlMs: ttl() });
      l.onChange((leader) => void events.push({ node, leader, at: Date.now() }));
      ctx.defer(() => l.stop());
      return l;
    };
    const leaders = (ls: Lease[]): number[] => ls.flatMap((l, i) => (l.isLeader() ? [i] : []));
    const three = async (buses: Bus[]): Promise<Lease[]> => {
      events.length = 0;
      const ls = await Promise.all(buses.map((b, i) => lease(b, `n${i}`)));
      await Promise.all(ls.map((l) => l.start()));
      await eventually('a leader', () => leaders(ls).length === 1, ttl() * 3);
      return ls;
    };

    it('elects exactly one leader among three nodes and keeps it', async () => {
      const ls = await three([await ctx.node('a'), await ctx.node('b'), await ctx.node('c')]);
      const [leader] = leaders(ls);
      const token = ls[leader].token();
      expect(token).toBeGreaterThan(0);
      await sleep(ttl() * 2.5);
      expect(leaders(ls)).toEqual([leader]);
      expect(ls[leader].token()).toBe(token);
      expect(events).toHaveLength(1);
      expect(ls.filter((l) => l.token() !== undefined)).toHaveLength(1);
    });

    it('hands over within one poll when the leader stops (it releases the key)', async () => {
      const ls = await three([await ctx.node('a'), await ctx.node('b'), await ctx.node('c')]);
      const [old] = leaders(ls);
      const oldToken = ls[old].token() as number;
      const stoppedAt = Date.now();
      await ls[old].stop();
      expect(ls[old].isLeader()).toBe(false);
      await eventually('a new leader', () => leaders(ls).length === 1, ttl() * 2);
      expect(Date.now() - stoppedAt).toBeLessThan(ttl() / 3 + 1_000);
      const [next] = leaders(ls);
      expect(next).not.toBe(old);
      expect(ls[next].token()).toBeGreaterThan(oldToken);
    });

    it("hands over within about one TTL when the leader's node dies, the old leader stepping down first", async () => {
      const nodes = [await ctx.killable('a'), await ctx.killable('b'), await ctx.killable('c')];
      const ls = await three(nodes.map((n) => n.bus));
      const [old] = leaders(ls);
      const killedAt = Date.now();
      await nodes[old].kill();
      await eventually('a new leader', () => leaders(ls).some((i) => i !== old), ttl() * 4 + 3_000);
      const tookMs = Date.now() - killedAt;
      expect(tookMs).toBeLessThan(ttl() + ttl() / 3 + 1_500);
      const stepDown = events.find((e) => e.node === `n${old}` && !e.leader);
      const takeOver = events.find((e) => e.node !== `n${old}` && e.leader);
      expect(stepDown).toBeDefined();
      expect((stepDown as LeaseEvent).at).toBeLessThanOrEqual((takeOver as LeaseEvent).at);
      expect(leaders(ls)).toHaveLength(1);
    });
  });
}
