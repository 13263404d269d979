import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { loadConfig } from './load.js';
import { redactConfig } from './redact.js';

const KEYS = { ENCRYPTION_KEY: 'k'.repeat(32), API_KEY: 'a'.repeat(32) };
let cwd: string;

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'msggw-config-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function configError(env: Record<string, string>): Promise<ConfigError> {
  const err = await loadConfig(env, { cwd }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('loadConfig defaults', () => {
  it('runs embedded with the documented defaults', async () => {
    const cfg = await loadConfig(KEYS, { cwd });
    expect(cfg.web).toEqual({
      listen: { host: '0.0.0.0', port: 3000 },
      metrics: { listen: undefined, path: '/metrics' },
      trustedProxies: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
      maxConnections: 5_000,
      maxConnectionsPerIp: 500,
    });
    expect(cfg.smpp).toEqual({
      listen: { host: '0.0.0.0', port: 9550 },
      retries: 3,
      timeoutMs: 30_000,
      proxyProtocol: false,
      trustedProxies: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
      windowSize: 10,
      enquireLinkIntervalMs: 30_000,
      inactivityTimeoutMs: 300_000,
      tls: undefined,
      reassemblyTtlMs: 300_000,
      queueMaxAgeMs: 72 * 3600_000,
      maxDeliver: 200,
      failoverGraceMs: 30_000,
      reassemblyLimits: { maxOpenSetsPerClient: 1000, maxOpenBytesPerClient: 8 * 1024 * 1024 },
      bindTimeoutMs: 30_000,
      maxConnections: 1_000,
      maxConnectionsPerIp: 50,
    });
    expect(cfg.lockout).toEqual({ windowMs: 600_000, perIp: 10, perNetwork: 50, perUser: 20, failureDelayMs: 500 });
    expect(cfg.durable).toEqual({
      maxDeliver: 20,
      stageMaxAgeMs: 7 * 24 * 3600_000,
      deadLetterMaxAgeMs: 14 * 24 * 3600_000,
      deadLetterMaxBytes: 1024 ** 3,
    });
    expect(cfg.mm4).toEqual({
      listen: { host: '0.0.0.0', port: 2566 },
      retries: 3,
      timeoutMs: 60_000,
      originatorSystem: `system@${hostname()}`,
      msgIdHost: 'localhost',
      proxyProtocol: false,
      trustedProxies: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
      maxMessageBytes: 10 * 1024 * 1024,
      maxConnections: 200,
      maxConnectionsPerIp: 20,
      socketTimeoutMs: 60_000,
    });
    expect(cfg.webhook).toEqual({ retries: 3, timeoutMs: 10_000, retryDelayMs: 5_000, mediaBase64MaxBytes: 2 * 1024 * 1024 });
    expect(cfg.node).toEqual({
      serverId: hostname(),
      serverAddress: 'http://localhost:3000',
      dataDir: join(cwd, 'data'),
      shutdown: { timeoutMs: 30_000, smppUnbindMs: 6_000, busDrainMs: 5_000 },
    });
    expect(cfg.store).toEqual({ driver: 'pglite', dataDir: join(cwd, 'data', 'pglite') });
    expect(cfg.bus).toEqual({ kind: 'memory', subjectPrefix: '' });
    expect(cfg.quota).toEqual({ kind: 'memory' });
    expect(cfg.log.level).toBe('info');
    expect(cfg.media.transcodeTempPath).toBe(tmpdir());
    expect(cfg.autoReply).toEqual({ enabled: false, defaultMessage: '' });
    expect(cfg.notifySenderOnFailure).toBe(true);
    expect(cfg.ingressDedupMs).toBe(6 * 3600_000);
    expect(cfg.ingressFirst).toEqual({ busyAt: 64, idleAt: 16, floor: 16 });
    expect(cfg.cluster).toBe(false);
    expect(cfg.warnings).toEqual([]);
  });

  it('derives SERVER_ADDRESS from the web port and MM4_MSG_ID_HOST from SERVER_ADDRESS', async () => {
    const a = await loadConfig({ ...KEYS, WEB_LISTEN: '[::]:8080' }, { cwd });
    expect(a.node.serverAddress).toBe('http://localhost:8080');
    const b = await loadConfig({ ...KEYS, SERVER_ADDRESS: 'https://sms.example.com:8443/' }, { cwd });
    expect(b.node.serverAddress).toBe('https://sms.example.com:8443');
    expect(b.mm4.msgIdHost).toBe('sms.example.com');
  });

  it('reads every variable it documents', async () => {
    const cfg = await loadConfig(
      {
        ...KEYS,
        PROMETHEUS_LISTEN: ':2550',
        PROMETHEUS_PATH: '/prom',
        TRUSTED_PROXIES: '10.1.0.0/16',
        HAPROXY_PROXY_PROTOCOL: 'yes',
        LOG_LEVEL: 'WARNING',
        DATA_DIR: '/var/lib/msggw',
        WEBHOOK_RETRIES: '0',
        SMPP_TIMEOUT_SECS: '5',
        NOTIFY_SENDER_ON_FAILURE: 'false',
        INGRESS_DEDUP_HOURS: '0',
        INGRESS_FIRST_AT: '0',
        INGRESS_FIRST_FLOOR: '4',
        MM4_ORIGINATOR_SYSTEM: 'mms@example.com',
        MM4_MSG_ID_HOST: 'mms.example.com',
        AUTO_REPLY_ENABLED: '1',
        AUTO_REPLY_DEFAULT_MESSAGE: 'Thanks, we will reply soon.',
        BUS_SUBJECT_PREFIX: 'test_1',
        SERVER_ID: 'gw1',
        BUS_MAX_DELIVER: '7',
        SMPP_MAX_DELIVER: '50',
        STREAM_MAX_AGE_HOURS: '24',
        DEAD_LETTER_MAX_AGE_HOURS: '48',
        DEAD_LETTER_MAX_MB: '10',
        SHUTDOWN_TIMEOUT_SECS: '10',
      },
      { cwd },
    );
    expect(cfg.web.metrics).toEqual({ listen: { host: '0.0.0.0', port: 2550 }, path: '/prom' });
    expect(cfg.web.trustedProxies).toEqual(['10.1.0.0/16']);
    expect(cfg.smpp.proxyProtocol && cfg.mm4.proxyProtocol).toBe(true);
    expect(cfg.log.level).toBe('warn');
    expect(cfg.node).toMatchObject({
      serverId: 'gw1',
      dataDir: '/var/lib/msggw',
      shutdown: { timeoutMs: 10_000, smppUnbindMs: 2_000, busDrainMs: 1_666 },
    });
    expect(cfg.webhook.retries).toBe(0);
    expect(cfg.smpp.timeoutMs).toBe(5000);
    expect(cfg.notifySenderOnFailure).toBe(false);
    expect(cfg.ingressDedupMs).toBe(0);
    expect(cfg.ingressFirst).toEqual({ busyAt: 0, idleAt: 0, floor: 4 });
    expect(cfg.mm4).toMatchObject({ originatorSystem: 'mms@example.com', msgIdHost: 'mms.example.com' });
    expect(cfg.autoReply).toEqual({ enabled: true, defaultMessage: 'Thanks, we will reply soon.' });
    expect(cfg.bus.subjectPrefix).toBe('test_1');
    expect(cfg.durable).toEqual({
      maxDeliver: 7,
      stageMaxAgeMs: 24 * 3600_000,
      deadLetterMaxAgeMs: 48 * 3600_000,
      deadLetterMaxBytes: 10 * 1024 * 1024,
    });
    expect(cfg.smpp.maxDeliver).toBe(50);
  });

  it('treats empty values as unset, as sample.env writes them', async () => {
    const cfg = await loadConfig({ ...KEYS, WEB_LISTEN: '', LOG_LEVEL: '' }, { cwd });
    expect(cfg.web.listen.port).toBe(3000);
    expect(cfg.log.level).toBe('info');
  });
});

describe('loadConfig errors', () => {
  it('lists every bad value at once, naming the variable, value and expectation', async () => {
    const err = await configError({
      ...KEYS,
      WEB_LISTEN: 'nope',
      SMPP_LISTEN: '0.0.0.0:70000',
      LOG_LEVEL: 'loud',
      WEBHOOK_RETRIES: '-1',
      SMPP_TIMEOUT_SECS: '0',
      AUTO_REPLY_ENABLED: 'maybe',
      PROMETHEUS_PATH: 'metrics',
      TRUSTED_PROXIES: '10.0.0.0/8,bogus',
      SERVER_ADDRESS: 'sms.example.com',
      POSTGRES_SSLMODE: 'sometimes',
      POSTGRES_TIMEZONE: 'Mars/Olympus',
      BUS_SUBJECT_PREFIX: 'a.b',
    });
    const expected = [
      /^WEB_LISTEN="nope": expected host:port/,
      /^SMPP_LISTEN="0.0.0.0:70000": expected host:port/,
      /^LOG_LEVEL="loud": expected one of trace, debug, info, warn, error/,
      /^WEBHOOK_RETRIES="-1": expected a whole number ≥ 0/,
      /^SMPP_TIMEOUT_SECS="0": expected a whole number ≥ 1/,
      /^AUTO_REPLY_ENABLED="maybe": expected true\/false/,
      /^PROMETHEUS_PATH="metrics": expected a path starting with "\/"/,
      /^TRUSTED_PROXIES=.*"bogus" not an IP address or CIDR/,
      /^SERVER_ADDRESS="sms.example.com": expected an http/,
      /^POSTGRES_SSLMODE="sometimes": expected one of disable/,
      /^POSTGRES_TIMEZONE="Mars\/Olympus": expected an IANA time zone/,
      /^BUS_SUBJECT_PREFIX="a.b": expected letters/,
    ];
    for (const re of expected)
      expect(
        err.problems.some((p) => re.test(p)),
        String(re),
      ).toBe(true);
    expect(err.problems).toHaveLength(expected.length);
    expect(err.message.split('\n')).toHaveLength(expected.length + 1);
  });

  it('reports a variable read by two sections once', async () => {
    const err = await configError({ ...KEYS, WEB_LISTEN: 'nope', SERVER_ADDRESS: 'bad' });
    expect(err.problems.filter((p) => p.startsWith('WEB_LISTEN'))).toHaveLength(1);
    expect(err.problems.filter((p) => p.startsWith('SERVER_ADDRESS'))).toHaveLength(1);
  });

  it('never prints secrets or URL passwords', async () => {
    const err = await configError({
      ENCRYPTION_KEY: 'TopSecretEncryptionKey',
      API_KEY: 'TopSecretApiKey',
      POSTGRES_PASSWORD: 'TopSecretPgPassword',
      DATABASE_URL: 'mysql://app:TopSecretDbUrl@db/x',
      REDIS_URL: 'http://:TopSecretRedis@r',
      NATS_URL: 'nats://ok:4222,http://TopSecretToken@n',
    });
    expect(err.message).not.toMatch(/TopSecret/);
    expect(err.message).toContain('DATABASE_URL="mysql://app:<redacted>@db/x"');
    expect(err.problems).toHaveLength(3);
  });

  it('requires both secrets in cluster mode, saying why', async () => {
    const err = await configError({ NATS_URL: 'nats://nats:4222' });
    expect(err.problems).toEqual([
      expect.stringMatching(/^ENCRYPTION_KEY is unset: required when .*every node must share/),
      expect.stringMatching(/^API_KEY is unset: required when .*every node must share/),
    ]);
  });

  it('lists missing cluster secrets together with other problems', async () => {
    const err = await configError({ REDIS_URL: 'redis://r', NATS_URL: 'http://n' });
    expect(err.problems.map((p) => p.split(/[=: ]/)[0])).toEqual(['NATS_URL', 'ENCRYPTION_KEY', 'API_KEY']);
  });

  it('reports a broken secrets file instead of replacing the key', async () => {
    await mkdir(join(cwd, 'data'));
    await writeFile(join(cwd, 'data', 'secrets.json'), '{not json');
    const err = await configError({});
    expect(err.problems).toEqual([expect.stringMatching(/secrets.json: not a valid secrets file/)]);
  });
});

describe('redactConfig', () => {
  it('hides secrets and URL passwords for logging', async () => {
    const cfg = await loadConfig(
      { ...KEYS, DATABASE_URL: 'postgres://app:pw@db/x', REDIS_URL: 'redis://:pw@r:6379', NATS_URL: 'nats://t@n:4222' },
      { cwd },
    );
    const shown = JSON.stringify(redactConfig(cfg));
    expect(shown).not.toContain(KEYS.ENCRYPTION_KEY);
    expect(shown).not.toContain(KEYS.API_KEY);
    expect(shown).not.toMatch(/:pw@|\/\/t@/);
    expect(cfg.secrets.apiKey).toBe(KEYS.API_KEY);
  });
});

describe('failed-login settings', () => {
  it('reads the window, the limits and the failure delay, and names the variable they replace', async () => {
    const cfg = await loadConfig(
      {
        ...KEYS,
        LOGIN_FAILURE_WINDOW_SECS: '60',
        LOGIN_FAILURES_PER_IP: '0',
        LOGIN_FAILURES_PER_NETWORK: '7',
        LOGIN_FAILURES_PER_USER: '3',
        LOGIN_FAILURE_DELAY_MS: '0',
        SMPP_BIND_FAILURES_PER_MIN: '5',
      },
      { cwd },
    );
    expect(cfg.lockout).toEqual({ windowMs: 60_000, perIp: 0, perNetwork: 7, perUser: 3, failureDelayMs: 0 });
    expect(cfg.warnings.join('\n')).toContain('SMPP_BIND_FAILURES_PER_MIN');
    await expect(loadConfig({ ...KEYS, LOGIN_FAILURE_DELAY_MS: '60000', LOGIN_FAILURE_WINDOW_SECS: '0' }, { cwd })).rejects.toThrow(
      /LOGIN_FAILURE_DELAY_MS[\s\S]*LOGIN_FAILURE_WINDOW_SECS|LOGIN_FAILURE_WINDOW_SECS[\s\S]*LOGIN_FAILURE_DELAY_MS/,
    );
  });
});

describe('SMPP settings', () => {
  it('reads the session, TLS, reassembly and queue settings', async () => {
    const cfg = await loadConfig(
      {
        ...KEYS,
        SMPP_WINDOW: '50',
        SMPP_ENQUIRE_LINK_SECS: '0',
        SMPP_INACTIVITY_SECS: '600',
        SMPP_TLS_LISTEN: ':3550',
        SMPP_TLS_CERT: '/etc/msggw/cert.pem',
        SMPP_TLS_KEY: '/etc/msggw/key.pem',
        SMPP_REASSEMBLY_TTL_SECS: '60',
        SMPP_QUEUE_MAX_AGE_SECS: '3600',
        SMPP_REASSEMBLY_MAX_SETS: '20',
        SMPP_REASSEMBLY_MAX_BYTES: '65536',
      },
      { cwd },
    );
    expect(cfg.smpp).toMatchObject({
      windowSize: 50,
      enquireLinkIntervalMs: 0,
      inactivityTimeoutMs: 600_000,
      reassemblyTtlMs: 60_000,
      reassemblyLimits: { maxOpenSetsPerClient: 20, maxOpenBytesPerClient: 65_536 },
      queueMaxAgeMs: 3_600_000,
      tls: { listen: { host: '0.0.0.0', port: 3550 }, certFile: '/etc/msggw/cert.pem', keyFile: '/etc/msggw/key.pem' },
    });
  });

  it('requires a certificate and key with SMPP_TLS_LISTEN, and a window of at least 1', async () => {
    const tls = await configError({ ...KEYS, SMPP_TLS_LISTEN: ':3550' });
    expect(tls.problems).toEqual([
      expect.stringMatching(/^SMPP_TLS_CERT.*required \(a PEM file\) when SMPP_TLS_LISTEN is set/),
      expect.stringMatching(/^SMPP_TLS_KEY.*required/),
    ]);
    const window = await configError({ ...KEYS, SMPP_WINDOW: '0' });
    expect(window.problems).toEqual([expect.stringMatching(/^SMPP_WINDOW="0": expected a whole number ≥ 1/)]);
  });

  it('reads the connection caps and timeouts of every entry point', async () => {
    const cfg = await loadConfig(
      {
        ...KEYS,
        SMPP_MAX_CONNECTIONS: '10',
        SMPP_MAX_CONNECTIONS_PER_IP: '0',
        SMPP_BIND_TIMEOUT_SECS: '5',
        MM4_MAX_CONNECTIONS: '7',
        MM4_MAX_CONNECTIONS_PER_IP: '3',
        MM4_SOCKET_TIMEOUT_SECS: '20',
        WEB_MAX_CONNECTIONS: '0',
        WEB_MAX_CONNECTIONS_PER_IP: '9',
      },
      { cwd },
    );
    expect(cfg.smpp).toMatchObject({ maxConnections: 10, maxConnectionsPerIp: 0, bindTimeoutMs: 5_000 });
    expect(cfg.mm4).toMatchObject({ maxConnections: 7, maxConnectionsPerIp: 3, socketTimeoutMs: 20_000 });
    expect(cfg.web).toMatchObject({ maxConnections: 0, maxConnectionsPerIp: 9 });
  });

  it('refuses to start with the PROXY protocol on and no TRUSTED_PROXIES to accept it from, saying why once', async () => {
    const err = await configError({ ...KEYS, HAPROXY_PROXY_PROTOCOL: 'true', TRUSTED_PROXIES: 'none' });
    expect(err.problems).toEqual([expect.stringMatching(/^HAPROXY_PROXY_PROTOCOL.*needs TRUSTED_PROXIES/)]);
    const cfg = await loadConfig({ ...KEYS, HAPROXY_PROXY_PROTOCOL: 'true', TRUSTED_PROXIES: '10.1.0.0/16' }, { cwd });
    expect([cfg.smpp.trustedProxies, cfg.mm4.trustedProxies]).toEqual([['10.1.0.0/16'], ['10.1.0.0/16']]);
  });
});
