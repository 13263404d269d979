/**
 * `msggw import --from-postgres URL`: a gomsggw database built from its schema
 * (test/support/gomsggw-schema.sql) with rows in every table the import reads, one bad row per
 * kind among them, is taken into msggw's store on PostgreSQL and on the embedded PGlite. Runs the
 * real command (bin/msggw.js) and checks the result through the store.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox, encryptLegacy, sha256Hex } from '../../internal/crypto/index.js';
import { createStore, type Store, type StoreConfig } from '../../internal/store/index.js';
import { importGomsggw, openGomsggwSource, type ImportProgress } from '../../internal/importer/index.js';
import { createTestDatabase, requireServices } from '../support/env.js';

const svc = requireServices(['postgres']);
const ROOT = new URL('../../', import.meta.url).pathname;
const KEY = 'gomsggw-encryption-key-0123456789';
const OTHER_KEY = 'not-the-key-gomsggw-ran-with-xyz';
const API_KEY_RAW = `gw_live_${'ab'.repeat(32)}`;
const NOW = Date.now();
const DAY_MS = 86_400_000;
const EXTRA_MEDIA = 25;
const CREATED = 9 + EXTRA_MEDIA;
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

/** Rows covering every table: the good ones and one bad row per kind (last in each list). */
async function buildGomsggw(url: string): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(await readFile(join(ROOT, 'test/support/gomsggw-schema.sql'), 'utf8'));
    const enc = (plain: string, key = KEY) => encryptLegacy(key, plain);
    await db.query(
      `INSERT INTO carriers (id, name, type, username, password, uuid, profile_id) VALUES
      (1, 'twilio', 'Twilio', 'AC0123', $1, '0123456789abcdef01234567', NULL),
      (2, 'telnyx', 'telnyx', 'unused', $2, '89abcdef0123456789abcdef', 'profile-1'),
      (3, 'bandwidth', 'bandwidth', 'u', $3, 'aaaaaaaaaaaaaaaaaaaaaaaa', NULL)`,
      [enc('twilio-token'), enc('KEY_telnyx'), enc('bw-secret')],
    );
    await db.query(
      `INSERT INTO clients (id, username, password, address, name, type, timezone, log_privacy) VALUES
      (1, 'zultys', $1, '10.0.0.5', 'Zultys MX', 'legacy', 'America/Vancouver', false),
      (2, 'webapp', $2, '', 'Web app', 'web', NULL, true),
      (3, 'mallory', $3, '10.0.0.9', 'Wrong key', 'legacy', 'UTC', false)`,
      [enc('smpppw1'), enc('web-secret-pw'), enc('mallorypw', OTHER_KEY)],
    );
    await db.query(`INSERT INTO client_settings (client_id, auth_method, api_format, disable_message_splitting,
      default_webhook, sms_daily_limit, mms_monthly_limit) VALUES
      (1, 'basic', 'generic', true, '', 100, 0),
      (2, 'bearer', 'bicom', false, 'https://hooks.example/in', 0, 50)`);
    await db.query(`INSERT INTO client_numbers (id, client_id, number, carrier, tag, "group", ignore_stop_cmd_sending, web_hook) VALUES
      (1, 1, '12505551234', 'twilio', 'main', 'sales', true, NULL),
      (2, 2, '12505550000', 'telnyx', NULL, NULL, false, 'https://hooks.example/n'),
      (3, 2, '0123', 'telnyx', NULL, NULL, false, NULL),
      (4, 3, '12505559999', 'twilio', NULL, NULL, false, NULL)`);
    await db.query(`INSERT INTO number_settings (number_id, sms_daily_limit, auto_reply_enabled, auto_reply_message, auto_reply_cooldown_secs)
      VALUES (1, 20, true, 'We are closed', 0)`);
    await db.query(`INSERT INTO client_failovers (primary_client_id, fallback_client_id, priority, enabled) VALUES
      (1, 2, 1, false), (3, 1, 0, true)`);
    await db.query(
      `INSERT INTO tenant_api_keys (id, client_id, name, key_hash, key_prefix, scopes, rate_limit, active, created_at) VALUES
      (1, 2, 'web key', $1, 'gw_live_abababab', 'send,usage', 60, true, now()),
      (2, 2, 'old key', 'not-a-sha256', 'gw_live_cdcdcdcd', 'send', 0, true, now())`,
      [sha256Hex(API_KEY_RAW)],
    );
    await db.query('INSERT INTO api_key_numbers (api_key_id, number_id, number) VALUES (1, 2, $1)', ['12505550000']);
    await db.query(
      `INSERT INTO media_files (access_token, file_name, content_type, base64_data, upload_at, expires_at) VALUES
      ('6f1c7a52-0000-4000-8000-000000000001', 'a.png', 'image/png', $1, $2, $3),
      ('6f1c7a52-0000-4000-8000-000000000002', 'old.png', 'image/png', $1, $4, $5),
      ('6f1c7a52-0000-4000-8000-000000000003', 'bad.png', 'image/png', 'not base64!', $2, $3)`,
      [PNG.toString('base64'), new Date(NOW - DAY_MS), new Date(NOW + 6 * DAY_MS), new Date(NOW - 9 * DAY_MS), new Date(NOW - 2 * DAY_MS)],
    );
    // More media than one page of reads, so the last file comes from a later page.
    for (let i = 10; i < 10 + EXTRA_MEDIA; i++) {
      await db.query(
        `INSERT INTO media_files (access_token, file_name, content_type, base64_data, upload_at, expires_at)
        VALUES ($1, 'x.png', 'image/png', $2, $3, $4)`,
        [`6f1c7a52-0000-4000-8000-0000000000${i}`, PNG.toString('base64'), new Date(NOW - DAY_MS), new Date(NOW + DAY_MS)],
      );
    }
  } finally {
    await db.end();
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runImport(env: Record<string, string>, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/msggw.js', 'import', ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          ENCRYPTION_KEY: KEY,
          API_KEY: 'admin-key-for-import-test',
          LOG_LEVEL: 'warn',
          ...env,
        },
        timeout: 120_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const lines = (out: string, prefix: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .sort();

const drivers = [
  { name: 'PostgreSQL', skip: svc.skip, pg: true },
  { name: 'PGlite', skip: svc.skip, pg: false },
];

describe.each(drivers)('msggw import --from-postgres into $name', (driver) => {
  let sourceUrl: string;
  let env: Record<string, string>;
  let storeConfig: StoreConfig;
  let dataDir: string;
  const open = () => createStore(storeConfig, { secretBox: createSecretBox(KEY) });
  /** The store is opened per check and closed again: PGlite's files take one process at a time. */
  async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    const store = await open();
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }
  const counts = (store: Store) =>
    Promise.all([store.carriers.list(), store.clients.list(), store.numbers.listAll(), store.apiKeys.listAll()]).then(
      ([carriers, clients, numbers, keys]) => ({
        carriers: carriers.length,
        clients: clients.length,
        numbers: numbers.length,
        keys: keys.length,
        failovers: clients.reduce((n, c) => n + c.failovers.length, 0),
      }),
    );

  beforeAll(async () => {
    if (driver.skip) return;
    sourceUrl = await createTestDatabase('gomsggw_source');
    await buildGomsggw(sourceUrl);
    dataDir = await mkdtemp(join(tmpdir(), 'msggw-import-'));
    env = { DATA_DIR: dataDir };
    if (driver.pg) {
      env.DATABASE_URL = await createTestDatabase('msggw_import');
      storeConfig = { driver: 'pg', url: env.DATABASE_URL };
    } else {
      storeConfig = { driver: 'pglite', dataDir: join(dataDir, 'pglite') };
    }
    // A dry run needs a database msggw has set up (it writes nothing, migrations included).
    await withStore((store) => store.migrate());
  }, 120_000);
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it.skipIf(driver.skip)("reports its progress row by row, with each kind's total where it is known (msggw import's bars)", async () => {
    const progress: ImportProgress[] = [];
    const source = await openGomsggwSource(sourceUrl);
    try {
      await withStore((store) =>
        importGomsggw(source, store, { encryptionKey: KEY, dryRun: true, now: new Date(NOW), onProgress: (p) => progress.push(p) }),
      );
    } finally {
      await source.close();
    }
    const last = new Map(progress.map((p) => [p.kind, p]));
    expect([...last.values()]).toEqual([
      { kind: 'carrier', done: 3, total: 3 },
      { kind: 'client', done: 3, total: 3 },
      { kind: 'number', done: 4, total: 4 },
      { kind: 'failover', done: 2, total: 2 },
      { kind: 'api_key', done: 2, total: 2 },
      { kind: 'media', done: 3 + EXTRA_MEDIA, total: undefined },
    ]);
    expect(progress.filter((p) => p.kind === 'media').map((p) => p.done)).toEqual(Array.from({ length: 3 + EXTRA_MEDIA }, (_, i) => i + 1));
  });

  it.skipIf(driver.skip)(
    '--dry-run lists what it would do and every row it cannot take, and writes nothing',
    async () => {
      const run = await runImport(env, ['--from-postgres', sourceUrl, '--dry-run']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(lines(run.stdout, 'create ')).toHaveLength(CREATED);
      expect(lines(run.stdout, 'skip ')).toEqual([
        'skip api_key gw_live_cdcdcdcd: key_hash is not a SHA-256 hex digest',
        "skip carrier bandwidth: unknown carrier type 'bandwidth'",
        expect.stringMatching(/^skip client mallory: password cannot be decrypted with this ENCRYPTION_KEY/),
        'skip failover mallory -> zultys: primary client #3 was not imported',
        'skip media 6f1c7a52-0000-4000-8000-000000000002: expired',
        'skip media 6f1c7a52-0000-4000-8000-000000000003: base64_data is not valid base64',
        "skip number 0123: '0123' is not an E.164 number",
        'skip number 12505559999: its client #3 was not imported',
      ]);
      expect(run.stdout).toContain(`summary (dry run, nothing written): would create ${CREATED}, would update 0, unchanged 0, skip 8\n`);
      expect(await withStore(counts)).toEqual({ carriers: 0, clients: 0, numbers: 0, keys: 0, failovers: 0 });
    },
    120_000,
  );

  it.skipIf(driver.skip)(
    'imports carriers, clients with settings, numbers, failovers, API keys and media',
    async () => {
      const run = await runImport(env, ['--from-postgres', sourceUrl]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`summary: create ${CREATED}, update 0, unchanged 0, skip 8\n`);
      await withStore(async (store) => {
        const twilio = await store.carriers.getByName('twilio');
        expect(twilio).toMatchObject({ type: 'twilio', username: 'AC0123', password: 'twilio-token', uuid: '0123456789abcdef01234567' });
        expect(await store.carriers.getByName('telnyx')).toMatchObject({ password: 'KEY_telnyx', profileId: 'profile-1' });

        const zultys = (await store.clients.getByUsername('zultys'))!;
        // The old password decrypts to what the PBX binds with.
        expect(zultys).toMatchObject({ password: 'smpppw1', type: 'legacy', address: '10.0.0.5', timezone: 'America/Vancouver' });
        expect(zultys.settings).toMatchObject({
          splitMethod: 'none',
          disableMessageSplitting: false,
          smsDailyLimit: 100,
          authMethod: 'basic',
        });
        const web = (await store.clients.getByUsername('webapp'))!;
        expect(web).toMatchObject({ password: 'web-secret-pw', type: 'web', timezone: 'UTC', logPrivacy: true });
        expect(web.settings).toMatchObject({
          splitMethod: 'none',
          apiFormat: 'bicom',
          authMethod: 'bearer',
          defaultWebhook: 'https://hooks.example/in',
          mmsMonthlyLimit: 50,
        });
        expect(await store.clients.getByUsername('mallory')).toBeUndefined();

        const main = (await store.numbers.getByNumber('+12505551234'))!;
        expect(main).toMatchObject({ clientId: zultys.id, carrier: 'twilio', tag: 'main', group: 'sales', ignoreStopCmdSending: true });
        expect(main.settings).toMatchObject({
          smsDailyLimit: 20,
          autoReplyEnabled: true,
          autoReplyMessage: 'We are closed',
          autoReplyCooldownSecs: 60,
        });
        const webNumber = (await store.numbers.getByNumber('+12505550000'))!;
        expect(webNumber).toMatchObject({ clientId: web.id, webhook: 'https://hooks.example/n' });

        expect(zultys.failovers).toEqual([expect.objectContaining({ fallbackClientId: web.id, priority: 1, enabled: false })]);

        const key = (await store.apiKeys.getByHash(sha256Hex(API_KEY_RAW)))!;
        expect(key).toMatchObject({ clientId: web.id, name: 'web key', scopes: 'send,usage', rateLimit: 60, active: true });
        expect(key.allowedNumbers).toEqual([expect.objectContaining({ numberId: webNumber.id, number: '+12505550000' })]);

        const media = await store.media.get('6f1c7a52-0000-4000-8000-000000000001', new Date());
        expect(media).toMatchObject({ fileName: 'a.png', contentType: 'image/png', bytes: PNG });
        expect(await store.media.get(`6f1c7a52-0000-4000-8000-0000000000${9 + EXTRA_MEDIA}`, new Date())).toBeDefined();
      });
    },
    120_000,
  );

  it.skipIf(driver.skip)(
    'a second run doubles nothing, and a dry run after it would create nothing',
    async () => {
      const before = await withStore(counts);
      const again = await runImport(env, ['--from-postgres', sourceUrl]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`summary: create 0, update 0, unchanged ${CREATED}, skip 8\n`);
      expect(await withStore(counts)).toEqual(before);
      expect(before).toEqual({ carriers: 2, clients: 2, numbers: 2, keys: 1, failovers: 1 });
      const dry = await runImport(env, ['--from-postgres', sourceUrl, '--dry-run']);
      expect(dry.stdout).toContain(`would create 0, would update 0, unchanged ${CREATED}, skip 8\n`);
    },
    180_000,
  );

  it.skipIf(driver.skip || !driver.pg)(
    'brings a changed gomsggw row over again as an update',
    async () => {
      const db = new pg.Client({ connectionString: sourceUrl });
      await db.connect();
      await db.query("UPDATE clients SET password = $1, name = 'Zultys MX 2' WHERE username = 'zultys'", [encryptLegacy(KEY, 'newpw12')]);
      await db.end();
      const run = await runImport(env, ['--from-postgres', sourceUrl]);
      expect(run.stdout).toContain('update client zultys: name, password\n');
      expect(await withStore(async (s) => s.clients.getByUsername('zultys'))).toMatchObject({ name: 'Zultys MX 2', password: 'newpw12' });
    },
    120_000,
  );

  it.skipIf(driver.skip || !driver.pg)(
    'exits non-zero when the gomsggw database cannot be reached',
    async () => {
      const run = await runImport(env, ['--from-postgres', 'postgres://nobody:x@127.0.0.1:1/smsgw']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^msggw import: /);
      const usage = await runImport(env, []);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('--from-postgres is required');
    },
    120_000,
  );
});
