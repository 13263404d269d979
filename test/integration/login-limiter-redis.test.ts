import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, type Redis } from '../../internal/redis/index.js';
import { silentLogger } from '../../internal/log/index.js';
import { createLoginLimiter, KNOWN_SOURCE_TTL_MS, RedisLoginLimiter, type LoginLimits } from '../../internal/lockout/index.js';
import { describeLoginLimiter, WINDOW_MS } from '../conformance/login-limiter.js';
import { requireServices, uniquePrefix } from '../support/env.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const svc = requireServices(['redis']);
const logger = silentLogger();
const limits: LoginLimits = { windowMs: WINDOW_MS, perIp: 3, perNetwork: 5, perUser: 4 };

async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

describe.skipIf(svc.skip)(svc.title('RedisLoginLimiter'), () => {
  let redis: Redis;
  let other: Redis;
  const prefixes: string[] = [];
  const newPrefix = (): string => {
    const p = uniquePrefix('login');
    prefixes.push(p);
    return p;
  };

  beforeAll(async () => {
    redis = await connectRedis(svc.urls.redis, { logger, connectionName: 'login-a' });
    other = await connectRedis(svc.urls.redis, { logger, connectionName: 'login-b' });
  });
  afterAll(async () => {
    await Promise.all([closeRedis(redis), closeRedis(other)]);
  });
  afterEach(async () => {
    for (const p of prefixes.splice(0)) await dropPrefix(redis, p);
  });

  describeLoginLimiter('RedisLoginLimiter', () => ({
    newLimiter: (l) => new RedisLoginLimiter({ limits: l, keyPrefix: newPrefix() }, redis),
  }));

  it('two nodes on one Redis see one count: failures on node A refuse the IP on node B', async () => {
    const keyPrefix = newPrefix();
    const a = new RedisLoginLimiter({ limits, keyPrefix }, redis);
    const b = new RedisLoginLimiter({ limits, keyPrefix }, other);
    const attempt = { ip: '198.51.100.20', username: 'alice' };
    await a.fail(attempt);
    await b.fail(attempt);
    expect(await b.admit(attempt)).toEqual({ allowed: true });
    await a.fail(attempt);
    expect(await b.admit(attempt)).toMatchObject({ allowed: false, scope: 'ip' });
    // A known source recorded on B is known on A.
    await b.succeed({ ip: '10.0.0.1', username: 'victim' });
    for (let i = 1; i <= 4; i++) await b.fail({ ip: `10.${i}.9.9`, username: 'victim' });
    expect(await a.admit({ ip: '10.7.7.7', username: 'victim' })).toMatchObject({ allowed: false, scope: 'user' });
    expect(await a.admit({ ip: '10.0.0.1', username: 'victim' })).toEqual({ allowed: true });
  });

  it('gives every key a TTL: a window for counts, KNOWN_SOURCE_TTL_MS for known sources', async () => {
    const keyPrefix = newPrefix();
    const l = new RedisLoginLimiter({ limits, keyPrefix }, redis);
    await l.fail({ ip: '192.0.2.1', username: 'alice' });
    await l.succeed({ ip: '192.0.2.2', username: 'alice' });
    const [, keys] = await redis.scan('0', 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
    expect(keys.length).toBe(4);
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      const max = key.includes(':known:') ? KNOWN_SOURCE_TTL_MS : WINDOW_MS;
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(max);
    }
    expect(keys.join(' ')).not.toContain('alice');
  });

  it('counts on the node alone while Redis is unreachable, instead of refusing or admitting everyone', async () => {
    const proxy: TcpProxy = await startTcpProxy(svc.urls.redis);
    const client = await connectRedis(proxy.url, { logger });
    try {
      const l = createLoginLimiter({ kind: 'redis', redis: client }, { limits, keyPrefix: newPrefix() }, { logger });
      const attempt = { ip: '192.0.2.50', username: 'alice' };
      await l.fail(attempt);
      await proxy.cut();
      expect(await l.admit(attempt)).toEqual({ allowed: true });
      for (let i = 0; i < 3; i++) await l.fail(attempt);
      expect(await l.admit(attempt)).toMatchObject({ allowed: false, scope: 'ip' });
      expect(await l.admit({ ip: '203.0.113.1', username: 'bob' })).toEqual({ allowed: true });
    } finally {
      await closeRedis(client).catch(() => undefined);
    }
  });
});
