import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requireServices } from '../support/env.js';

const svc = requireServices(['redis', 'postgres']);

describe.skipIf(svc.skip)(svc.title('test services harness'), () => {
  let redis: Redis;
  let db: pg.Client;
  let dbUrl: string;

  beforeAll(async () => {
    redis = new Redis(svc.urls.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    dbUrl = await createTestDatabase('harness');
    db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
  });

  afterAll(async () => {
    redis?.disconnect();
    await db?.end();
  });

  it('answers PING on redis-server', async () => {
    expect(await redis.ping()).toBe('PONG');
  });

  it('gives each caller its own PostgreSQL database', async () => {
    const { rows } = await db.query<{ one: number; db: string }>('SELECT 1 AS one, current_database() AS db');
    expect(rows[0].one).toBe(1);
    expect(dbUrl.endsWith(`/${rows[0].db}`)).toBe(true);
    expect(rows[0].db).toMatch(/^harness_[0-9a-f]{12}$/);
  });
});
