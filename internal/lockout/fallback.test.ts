import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../errors/index.js';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../log/index.js';
import { FallbackLoginLimiter } from './fallback.js';
import { MemoryLoginLimiter } from './memory.js';
import type { LoginLimiter } from './types.js';

const limits = { windowMs: 60_000, perIp: 2, perNetwork: 10, perUser: 10 };

/** A shared limiter whose service is down. */
const down: LoginLimiter = {
  admit: async () => {
    throw new UnavailableError('down');
  },
  fail: async () => {
    throw new UnavailableError('down');
  },
  succeed: async () => {
    throw new UnavailableError('down');
  },
};

describe('FallbackLoginLimiter', () => {
  it('counts and refuses on this node while the shared counts are unavailable, and warns', async () => {
    const warnings: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        warnings.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'warn', serverId: 't', destination });
    const l = new FallbackLoginLimiter(down, new MemoryLoginLimiter({ limits }), { logger });
    const attempt = { ip: '192.0.2.1', username: 'alice' };
    expect(await l.admit(attempt)).toEqual({ allowed: true });
    await l.fail(attempt);
    await l.fail(attempt);
    expect(await l.admit(attempt)).toMatchObject({ allowed: false, scope: 'ip' });
    await l.succeed(attempt);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('counting failed logins on this node only');
  });

  it('uses only the shared counts while they answer', async () => {
    const shared = new MemoryLoginLimiter({ limits });
    const local = new MemoryLoginLimiter({ limits });
    const l = new FallbackLoginLimiter(shared, local, { logger: silentLogger() });
    await l.fail({ ip: '192.0.2.1' });
    await l.fail({ ip: '192.0.2.1' });
    expect(await shared.admit({ ip: '192.0.2.1' })).toMatchObject({ allowed: false });
    expect(await local.admit({ ip: '192.0.2.1' })).toEqual({ allowed: true });
  });
});
