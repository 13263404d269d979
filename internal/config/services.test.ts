import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';

const KEYS = { ENCRYPTION_KEY: 'k'.repeat(32), API_KEY: 'a'.repeat(32) };
let cwd: string;

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'msggw-config-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('store selection', () => {
  it('uses DATABASE_URL as given', async () => {
    const cfg = await loadConfig({ ...KEYS, DATABASE_URL: 'postgresql://u:p@db:5433/gw?sslmode=require' }, { cwd });
    expect(cfg.store).toEqual({ driver: 'pg', url: 'postgresql://u:p@db:5433/gw?sslmode=require', timezone: 'UTC' });
    expect(cfg.cluster).toBe(true);
  });

  it('prefers DATABASE_URL over POSTGRES_* and warns', async () => {
    const cfg = await loadConfig({ ...KEYS, DATABASE_URL: 'postgres://db/gw', POSTGRES_HOST: 'other' }, { cwd });
    expect(cfg.store).toMatchObject({ url: 'postgres://db/gw' });
    expect(cfg.warnings).toEqual([expect.stringMatching(/DATABASE_URL is set, so POSTGRES_HOST is ignored/)]);
  });

  it('builds an encoded URL from POSTGRES_*', async () => {
    const cfg = await loadConfig(
      {
        ...KEYS,
        POSTGRES_HOST: 'postgres',
        POSTGRES_PORT: '6543',
        POSTGRES_USER: 'sms gw',
        POSTGRES_PASSWORD: 'p@ss/w:rd?',
        POSTGRES_DB: 'smsgw',
        POSTGRES_SSLMODE: 'verify-full',
        POSTGRES_TIMEZONE: 'America/Vancouver',
      },
      { cwd },
    );
    expect(cfg.store).toEqual({
      driver: 'pg',
      url: 'postgres://sms%20gw:p%40ss%2Fw%3Ard%3F@postgres:6543/smsgw?sslmode=verify-full',
      timezone: 'America/Vancouver',
    });
    const url = new URL(cfg.store.driver === 'pg' ? cfg.store.url : '');
    expect(decodeURIComponent(url.password)).toBe('p@ss/w:rd?');
  });

  it.each(['POSTGRES_HOST', 'POSTGRES_USER', 'POSTGRES_DB'])('selects PostgreSQL when only %s is set', async (name) => {
    const cfg = await loadConfig({ ...KEYS, [name]: 'smsgw' }, { cwd });
    expect(cfg.store.driver).toBe('pg');
  });

  it('brackets an IPv6 host and moves a socket directory into the query', async () => {
    const v6 = await loadConfig({ ...KEYS, POSTGRES_HOST: '::1' }, { cwd });
    expect(v6.store).toMatchObject({ url: 'postgres://[::1]:5432/?sslmode=disable' });
    const sock = await loadConfig({ ...KEYS, POSTGRES_HOST: '/var/run/postgresql', POSTGRES_DB: 'gw' }, { cwd });
    expect(sock.store).toMatchObject({ url: 'postgres:///gw?sslmode=disable&host=%2Fvar%2Frun%2Fpostgresql' });
  });

  it('passes PGLITE_SHARED_BUFFERS_MB to the embedded store, and leaves the default to it when unset', async () => {
    const raised = await loadConfig({ ...KEYS, PGLITE_SHARED_BUFFERS_MB: '128' }, { cwd });
    expect(raised.store).toEqual({ driver: 'pglite', dataDir: join(cwd, 'data', 'pglite'), sharedBuffersMb: 128 });
    const unset = await loadConfig(KEYS, { cwd });
    expect(unset.store).toEqual({ driver: 'pglite', dataDir: join(cwd, 'data', 'pglite') });
  });

  it('refuses a PGLITE_SHARED_BUFFERS_MB that is not a whole number of MB', async () => {
    await expect(loadConfig({ ...KEYS, PGLITE_SHARED_BUFFERS_MB: '16MB' }, { cwd })).rejects.toThrow(/PGLITE_SHARED_BUFFERS_MB/);
    await expect(loadConfig({ ...KEYS, PGLITE_SHARED_BUFFERS_MB: '0' }, { cwd })).rejects.toThrow(/whole number ≥ 1/);
  });

  it('warns that PGLITE_SHARED_BUFFERS_MB does nothing when the store is PostgreSQL', async () => {
    const cfg = await loadConfig({ ...KEYS, DATABASE_URL: 'postgres://db/gw', PGLITE_SHARED_BUFFERS_MB: '64' }, { cwd });
    expect(cfg.store.driver).toBe('pg');
    expect(cfg.warnings).toEqual(['PGLITE_SHARED_BUFFERS_MB is set but the store is PostgreSQL, so it is ignored']);
  });

  it('stays embedded when only the password or port is set, with a warning', async () => {
    const cfg = await loadConfig({ ...KEYS, POSTGRES_PASSWORD: 'x', POSTGRES_PORT: '5432' }, { cwd });
    expect(cfg.store.driver).toBe('pglite');
    expect(cfg.warnings).toEqual([expect.stringMatching(/POSTGRES_PORT, POSTGRES_PASSWORD set but .*PGlite/)]);
  });
});

describe('bus and quota selection', () => {
  it('uses NATS when NATS_URL is set, keeping every seed', async () => {
    const cfg = await loadConfig({ ...KEYS, NATS_URL: 'nats://n1:4222,nats://n2:4222', BUS_SUBJECT_PREFIX: 'ci-7' }, { cwd });
    expect(cfg.bus).toEqual({ kind: 'nats', servers: ['nats://n1:4222', 'nats://n2:4222'], subjectPrefix: 'ci-7' });
    expect(cfg.store.driver).toBe('pglite');
    expect(cfg.cluster).toBe(true);
  });

  it('uses Redis when REDIS_URL is set', async () => {
    const cfg = await loadConfig({ ...KEYS, REDIS_URL: 'rediss://redis:6380/1' }, { cwd });
    expect(cfg.quota).toEqual({ kind: 'redis', url: 'rediss://redis:6380/1' });
    expect(cfg.bus.kind).toBe('memory');
    expect(cfg.cluster).toBe(true);
  });
});

describe('.env file', () => {
  it('is read from cwd, and the real environment wins', async () => {
    await writeFile(join(cwd, '.env'), 'LOG_LEVEL=debug\nSERVER_ID=from-file\n# comment\nAPI_KEY="' + KEYS.API_KEY + '"\n');
    const cfg = await loadConfig({ ENCRYPTION_KEY: KEYS.ENCRYPTION_KEY, SERVER_ID: 'from-env', LOG_LEVEL: '' }, { cwd });
    expect(cfg.log.level).toBe('debug');
    expect(cfg.node.serverId).toBe('from-env');
    expect(cfg.secrets.apiKey).toBe(KEYS.API_KEY);
  });

  it('counts toward errors like the environment', async () => {
    await writeFile(join(cwd, '.env'), 'MM4_LISTEN=nowhere\n');
    await expect(loadConfig(KEYS, { cwd })).rejects.toThrow(/MM4_LISTEN="nowhere"/);
  });
});

describe('embedded secrets', () => {
  it('generates both once with mode 0600 and reuses them', async () => {
    const first = await loadConfig({}, { cwd });
    const file = join(cwd, 'data', 'secrets.json');
    expect(first.secrets).toMatchObject({ apiKeyGenerated: true, encryptionKeyGenerated: true, secretsFile: file });
    expect(first.secrets.apiKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The seed README's `$(echo -n 'admin:API_KEY' | base64)`: GNU base64 wraps after 76
    // characters, and a header with a line break in it is a 400 before any route.
    expect(Buffer.from(`admin:${first.secrets.apiKey}`).toString('base64').length).toBeLessThanOrEqual(76);
    expect(first.secrets.encryptionKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const second = await loadConfig({}, { cwd });
    expect(second.secrets).toMatchObject({
      apiKey: first.secrets.apiKey,
      encryptionKey: first.secrets.encryptionKey,
      apiKeyGenerated: false,
      encryptionKeyGenerated: false,
    });
    expect(second.warnings).toEqual([]);
  });

  it('generates only the missing one and never writes an env secret to the file', async () => {
    const cfg = await loadConfig({ ENCRYPTION_KEY: KEYS.ENCRYPTION_KEY }, { cwd });
    expect(cfg.secrets).toMatchObject({ encryptionKey: KEYS.ENCRYPTION_KEY, apiKeyGenerated: true, encryptionKeyGenerated: false });
    const stored = JSON.parse(await readFile(join(cwd, 'data', 'secrets.json'), 'utf8')) as Record<string, string>;
    expect(stored).toEqual({ apiKey: cfg.secrets.apiKey });
  });

  it('does not touch the disk when both are given', async () => {
    const cfg = await loadConfig(KEYS, { cwd });
    expect(cfg.secrets.secretsFile).toBeUndefined();
    await expect(stat(join(cwd, 'data'))).rejects.toThrow(/ENOENT/);
  });

  it('does not create secrets when other settings are invalid', async () => {
    await expect(loadConfig({ LOG_LEVEL: 'loud' }, { cwd })).rejects.toThrow(/LOG_LEVEL/);
    await expect(stat(join(cwd, 'data'))).rejects.toThrow(/ENOENT/);
  });
});

describe('warnings', () => {
  it('flags short secrets and upstream variables msggw ignores', async () => {
    const cfg = await loadConfig(
      {
        ENCRYPTION_KEY: 'short',
        API_KEY: 'also-short',
        LOKI_ENABLED: 'true',
        LOKI_URL: 'http://loki',
        PPROF_LISTEN: ':42666',
        MM4_DEBUG: '1',
      },
      { cwd },
    );
    expect(cfg.warnings).toEqual([
      expect.stringMatching(/^ENCRYPTION_KEY is shorter than 32 characters/),
      expect.stringMatching(/^API_KEY is shorter than 32 characters/),
      expect.stringMatching(/^LOKI_ENABLED, LOKI_URL are not used by msggw: logs go to stdout/),
      expect.stringMatching(/^PPROF_LISTEN is not used by msggw: profile with node --inspect/),
      expect.stringMatching(/^MM4_DEBUG is not used by msggw/),
    ]);
    expect(cfg.warnings.join('\n')).not.toContain('also-short');
  });
});
