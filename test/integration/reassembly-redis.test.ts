import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, type Redis } from '../../internal/redis/index.js';
import { UnavailableError } from '../../internal/errors/index.js';
import { createLogger, silentLogger } from '../../internal/log/index.js';
import { RedisReassembler } from '../../internal/smpp/index.js';
import { addInOrder, completions, describeReassembler, GENEROUS_LIMITS, setParts, TTL_MS } from '../conformance/reassembler.js';
import { requireServices, uniquePrefix } from '../support/env.js';
import { freePort } from '../support/process.js';
import { startRedis, type RunningService } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const svc = requireServices(['redis']);
const logger = silentLogger();

/** Deletes every key under `prefix` (index included) so the shared server stays clean. */
async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const [, keys] = await redis.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 10_000);
  return keys.sort();
}

/** Runs `fn`, returning how long it took to settle and its rejection (or undefined). */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const start = performance.now();
  try {
    await fn();
    return { ms: performance.now() - start, error: undefined };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

describe.skipIf(svc.skip)(svc.title('RedisReassembler'), () => {
  let redis: Redis;
  let other: Redis;
  const prefixes: string[] = [];
  const newPrefix = (): string => {
    const p = `${uniquePrefix('reasm')}:`;
    prefixes.push(p);
    return p;
  };

  beforeAll(async () => {
    redis = await connectRedis(svc.urls.redis, { logger, connectionName: 'reassembly-a' });
    other = await connectRedis(svc.urls.redis, { logger, connectionName: 'reassembly-b' });
  });

  afterAll(async () => {
    await Promise.all([closeRedis(redis), closeRedis(other)]);
  });

  afterEach(async () => {
    for (const p of prefixes.splice(0)) await dropPrefix(redis, p);
  });

  describeReassembler('RedisReassembler', () => ({
    newReassembler: (opts) => new RedisReassembler({ ...opts, keyPrefix: newPrefix() }, { redis }),
  }));

  describe('two nodes', () => {
    const pair = (): [RedisReassembler, RedisReassembler] => {
      const keyPrefix = newPrefix();
      return [
        new RedisReassembler({ ttlMs: TTL_MS, ...GENEROUS_LIMITS, keyPrefix }, { redis }),
        new RedisReassembler({ ttlMs: TTL_MS, ...GENEROUS_LIMITS, keyPrefix }, { redis: other }),
      ];
    };

    it('gives the set to exactly one node when the last two parts arrive on both at once', async () => {
      const [a, b] = pair();
      for (let round = 0; round < 50; round++) {
        const parts = setParts(4, { ref: round });
        await addInOrder(a, parts.slice(0, 2));
        const done = completions(await Promise.all([a.add(parts[2]), b.add(parts[3])]));
        expect(done, `round ${round}`).toEqual([parts]);
      }
    });

    it('gives the set to exactly one node when every part races on both', async () => {
      const [a, b] = pair();
      const parts = setParts(30, { ref: 0xbeef });
      // Each part races on both nodes; the parts follow one another. (Firing all 60 at once lets
      // one connection's 30 adds reach Redis in one write and complete the set before the other's
      // arrive, and a whole duplicate set after completion is a new set, not a race.)
      const replies = [];
      for (const p of parts) replies.push(...(await Promise.all([a.add(p), b.add(p)])));
      expect(completions(replies)).toEqual([parts]);
    });

    it('hands each expired set to exactly one node', async () => {
      const [a, b] = pair();
      const old = Date.now() - 2 * TTL_MS;
      const sets = Array.from({ length: 40 }, (_, i) => setParts(2, { ref: i }, old));
      for (const set of sets) await a.add(set[0]);
      const [fromA, fromB] = await Promise.all([a.takeExpired(), b.takeExpired()]);
      const refs = [...fromA, ...fromB].map((s) => s.ref).sort((x, y) => x - y);
      expect(refs).toEqual(sets.map((_, i) => i));
    });
  });

  describe('storage', () => {
    it('keeps each part as its JSON in a hash that outlives the TTL, indexed by first-part time', async () => {
      const keyPrefix = newPrefix();
      const r = new RedisReassembler({ ttlMs: TTL_MS, ...GENEROUS_LIMITS, keyPrefix }, { redis });
      const parts = setParts(3, { from: '+44 20:7946' });
      await r.add(parts[1]);
      const [index, hash] = [`${keyPrefix}expiry`, `${keyPrefix}set:7:%2B44%2020%3A7946:%2B15550002222:42:3`];
      const [sizes, client] = [`${keyPrefix}sizes`, `${keyPrefix}client:7`];
      expect(await keysUnder(redis, keyPrefix)).toEqual([index, hash, sizes, client].sort());
      const bytes = Buffer.byteLength(parts[1].text);
      expect(await redis.hgetall(client)).toEqual({ sets: '1', bytes: String(bytes) });
      expect(await redis.hget(sizes, hash.slice(`${keyPrefix}set:`.length))).toBe(String(bytes));
      expect(JSON.parse((await redis.hget(hash, '2'))!)).toEqual(parts[1]);
      const ttl = await redis.pttl(hash);
      expect(ttl).toBeGreaterThan(TTL_MS);
      expect(ttl).toBeLessThanOrEqual(2 * TTL_MS);
      expect(Number(await redis.zscore(index, hash.slice(`${keyPrefix}set:`.length)))).toBe(parts[1].receivedAt);
    });

    it('leaves no keys behind once sets complete or expire', async () => {
      const keyPrefix = newPrefix();
      const r = new RedisReassembler({ ttlMs: TTL_MS, ...GENEROUS_LIMITS, keyPrefix }, { redis });
      await addInOrder(r, setParts(3, { ref: 1 }));
      await r.add(setParts(3, { ref: 2 }, Date.now() - 2 * TTL_MS)[0]);
      expect(await r.takeExpired()).toHaveLength(1);
      expect(await keysUnder(redis, keyPrefix)).toEqual([]);
    });

    it('claims expired sets in batches until none is left', async () => {
      const r = new RedisReassembler({ ttlMs: TTL_MS, ...GENEROUS_LIMITS, keyPrefix: newPrefix() }, { redis });
      const old = Date.now() - 2 * TTL_MS;
      await Promise.all(Array.from({ length: 250 }, (_, i) => r.add(setParts(2, { ref: i }, old)[0])));
      expect(await r.takeExpired()).toHaveLength(250);
    });

    it('reloads its scripts after SCRIPT FLUSH', async () => {
      const r = new RedisReassembler({ ttlMs: TTL_MS, ...GENEROUS_LIMITS, keyPrefix: newPrefix() }, { redis });
      const parts = setParts(2);
      await r.add(parts[0]);
      await redis.script('FLUSH');
      expect(await r.add(parts[1])).toEqual(parts);
      await redis.script('FLUSH');
      expect(await r.takeExpired()).toEqual([]);
    });
  });

  describe('when Redis fails', () => {
    const cleanup: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
    });
    const connect = async (url: string, commandTimeoutMs?: number): Promise<Redis> => {
      const client = await connectRedis(url, { logger, commandTimeoutMs });
      cleanup.push(() => closeRedis(client));
      return client;
    };
    const proxy = async (): Promise<TcpProxy> => {
      const p = await startTcpProxy(svc.urls.redis);
      cleanup.push(() => p.cut());
      return p;
    };
    const privateRedis = async (): Promise<RunningService> => {
      const s = await startRedis();
      cleanup.push(() => s.stop());
      return s;
    };

    it('rejects add and takeExpired with UnavailableError at once when the connection is gone', async () => {
      const p = await proxy();
      const r = new RedisReassembler({ ttlMs: TTL_MS, ...GENEROUS_LIMITS, keyPrefix: newPrefix() }, { redis: await connect(p.url) });
      const parts = setParts(2);
      expect(await r.add(parts[0])).toBeNull();
      await p.cut();
      const add = await timed(() => r.add(parts[1]));
      expect(add.error).toBeInstanceOf(UnavailableError);
      expect(add.ms).toBeLessThan(3_000);
      const take = await timed(() => r.takeExpired());
      expect(take.error).toBeInstanceOf(UnavailableError);
      expect(take.ms).toBeLessThan(3_000);
    });

    it('rejects add within the command timeout when Redis stops answering', async () => {
      const server = await privateRedis();
      const r = new RedisReassembler(
        { ttlMs: TTL_MS, ...GENEROUS_LIMITS, keyPrefix: newPrefix() },
        { redis: await connect(server.url, 300) },
      );
      const admin = await connect(server.url);
      await admin.call('CLIENT', 'PAUSE', '3000', 'ALL');
      const add = await timed(() => r.add(setParts(2)[0]));
      expect(add.error).toBeInstanceOf(UnavailableError);
      expect(add.ms).toBeLessThan(1_500);
    });

    it('reconnects after the connection drops', async () => {
      const client = await connect(svc.urls.redis);
      const r = new RedisReassembler({ ttlMs: TTL_MS, ...GENEROUS_LIMITS, keyPrefix: newPrefix() }, { redis: client });
      const parts = setParts(2);
      await r.add(parts[0]);
      await redis.call('CLIENT', 'KILL', 'ID', String(await client.client('ID')));
      const deadline = Date.now() + 5_000;
      let result: unknown;
      while (Date.now() < deadline) {
        result = await r.add(parts[1]).catch((err: unknown) => err);
        if (!(result instanceof UnavailableError)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(result).toEqual(parts);
    });

    it('connectRedis rejects with UnavailableError when nothing answers, without showing the password', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      });
      const url = `redis://:hunter2-secret@127.0.0.1:${await freePort()}`;
      const attempt = await timed(() =>
        connectRedis(url, { logger: createLogger({ level: 'debug', serverId: 't', destination: sink }), readyTimeoutMs: 500 }),
      );
      expect(attempt.error).toBeInstanceOf(UnavailableError);
      expect(attempt.ms).toBeLessThan(2_000);
      expect(String((attempt.error as Error).message)).not.toContain('hunter2');
      expect(lines.join('')).toContain('redis connection error');
      expect(lines.join('')).not.toContain('hunter2');
    });

    it('logs a refused password without the password', async () => {
      const server = await privateRedis();
      const admin = await connect(server.url);
      await admin.config('SET', 'requirepass', 'right-password');
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      });
      const url = server.url.replace('redis://', 'redis://:wrong-password-xyz@');
      const attempt = await timed(() =>
        connectRedis(url, { logger: createLogger({ level: 'debug', serverId: 't', destination: sink }), readyTimeoutMs: 500 }),
      );
      expect(attempt.error).toBeInstanceOf(UnavailableError);
      expect(JSON.stringify((attempt.error as Error).cause)).not.toContain('wrong-password-xyz');
      expect(lines.join('')).toMatch(/WRONGPASS|NOAUTH|invalid/i);
      expect(lines.join('')).not.toContain('wrong-password-xyz');
    });
  });
});
