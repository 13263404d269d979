/**
 * `npm run bench:usage`: GET /messages/usage after 1,000,000 recorded messages (right,
 * and under 50 ms, at any history size).
 *
 * 1. Starts redis-server and PostgreSQL, and one client (America/Vancouver) with ten numbers.
 * 2. Inserts BENCH_RECORDS ledger rows in bulk (msg_record_db_items), spread over the last 30
 *    days: SMS of 1-3 segments and one MMS in ten.
 * 3. Counts every row through the quota gate on Redis, the gate's clock set to the row's time
 *    (as if each had been admitted when it arrived).
 * 4. Checks the usage report against SUM/COUNT over the ledger for the current local day and month.
 * 5. Times BENCH_CALLS GET /messages/usage over loopback HTTP (p50/p99), and, for comparison, the
 *    six COUNT queries over the ledger that upstream ran for the same figures.
 */
import pg from 'pg';
import { connectRedis, closeRedis } from '../../internal/redis/index.js';
import { createSecretBox } from '../../internal/crypto/index.js';
import { createDirectory, LocalConfigChanges } from '../../internal/directory/index.js';
import { createBus } from '../../internal/bus/index.js';
import { silentLogger } from '../../internal/log/index.js';
import { createQuota, dayWindow, monthWindow, type Quota } from '../../internal/quota/index.js';
import { createStore, type Store } from '../../internal/store/index.js';
import { createApp, WebServer } from '../../internal/web/index.js';
import { subjects } from '../../proto/subjects.js';
import { carrierWebhooks } from '../../internal/carriers/index.js';
import { startPostgres, startRedis } from '../support/services.js';
import { percentile } from './load.js';
import { msgInIngress } from '../support/msg-in-ingress.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const CALLS = Number(process.env.BENCH_CALLS ?? 2_000);
const NUMBERS = 10;
const ZONE = 'America/Vancouver';
const SPAN_MS = 30 * 86_400_000;
/** Admits in flight at once while counting the ledger. */
const WINDOW = 200;
const PAGE = 20_000;

interface Row {
  id: string;
  from: string;
  type: 'sms' | 'mms';
  segments: number;
  at: number;
}

async function setupClient(store: Store): Promise<{ id: number; numbers: string[] }> {
  const client = await store.clients.create({
    username: 'usage-bench',
    password: 'bench-pass',
    address: '',
    name: '',
    type: 'web',
    timezone: ZONE,
    logPrivacy: false,
  });
  await store.clients.upsertSettings(client.id, {
    apiFormat: 'generic',
    smsDailyLimit: 10_000_000,
    smsMonthlyLimit: 100_000_000,
    mmsMonthlyLimit: 10_000_000,
  });
  const numbers: string[] = [];
  for (let i = 0; i < NUMBERS; i++) {
    const n = await store.numbers.create({
      clientId: client.id,
      number: `+1604555${String(1000 + i)}`,
      carrier: 'none',
      tag: `t${i}`,
      group: '',
      webhook: '',
      ignoreStopCmdSending: false,
    });
    if (i === 0) await store.numbers.upsertSettings(n.id, { smsDailyLimit: 5_000_000 });
    numbers.push(n.number);
  }
  return { id: client.id, numbers };
}

async function insertRecords(pool: pg.Pool, clientId: number, numbers: string[], fromMs: number): Promise<number> {
  const started = performance.now();
  const step = SPAN_MS / RECORDS;
  await pool.query(
    `INSERT INTO msg_record_db_items
      (message_id, log_id, client_id, "to", "from", received_timestamp, type, direction, total_segments, status)
    SELECT 'bench-' || g, 'bench-' || g, $1, '+14155550000', ($2::text[])[1 + g % $3],
      to_timestamp(($4::float8 + g * $5::float8) / 1000), CASE WHEN g % 10 = 0 THEN 'mms' ELSE 'sms' END,
      'outbound', CASE WHEN g % 10 = 0 THEN 0 ELSE 1 + g % 3 END, 'delivered'
    FROM generate_series(0, $6 - 1) AS g`,
    [clientId, numbers, numbers.length, fromMs, step, RECORDS],
  );
  return (performance.now() - started) / 1000;
}

async function* ledger(pool: pg.Pool, clientId: number): AsyncGenerator<Row[]> {
  let last = '0';
  for (;;) {
    const { rows } = await pool.query<Row>(
      `SELECT id, "from", type, total_segments AS segments,
        (extract(epoch FROM received_timestamp) * 1000)::float8 AS at
      FROM msg_record_db_items WHERE client_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [clientId, last, PAGE],
    );
    if (rows.length === 0) return;
    last = rows[rows.length - 1]!.id;
    yield rows;
  }
}

/** Every ledger row through the gate, at the row's own time. */
async function countThroughGate(pool: pg.Pool, quota: Quota, clock: { set(ms: number): void }, clientId: number) {
  const started = performance.now();
  let admitted = 0;
  let refused = 0;
  for await (const rows of ledger(pool, clientId)) {
    for (let i = 0; i < rows.length; i += WINDOW) {
      const decisions = rows.slice(i, i + WINDOW).map((r) => {
        clock.set(Number(r.at)); // admit() reads the clock before its first await
        return quota.gate.admit({
          clientId,
          number: r.from,
          type: r.type,
          units: r.type === 'sms' ? r.segments : 1,
          direction: 'outbound',
        });
      });
      for (const d of await Promise.all(decisions)) {
        if (d.admitted) admitted++;
        else refused++;
      }
    }
  }
  return { admitted, refused, seconds: (performance.now() - started) / 1000 };
}

/** The same figures straight from the ledger (what upstream counted per check, §12.4). */
async function ledgerFigures(pool: pg.Pool, clientId: number, nowMs: number) {
  const day = dayWindow(nowMs, ZONE);
  const month = monthWindow(nowMs, ZONE);
  const q = async (type: string, since: number): Promise<{ value: number; ms: number }> => {
    const started = performance.now();
    const { rows } = await pool.query<{ v: string }>(
      `SELECT COALESCE(SUM(CASE WHEN type = 'sms' THEN total_segments ELSE 1 END), 0) AS v
      FROM msg_record_db_items WHERE client_id = $1 AND type = $2 AND received_timestamp >= to_timestamp($3::float8 / 1000)
        AND received_timestamp <= to_timestamp($4::float8 / 1000)`,
      [clientId, type, since, nowMs],
    );
    return { value: Number(rows[0]!.v), ms: performance.now() - started };
  };
  const results = [await q('sms', day.startMs), await q('sms', month.startMs), await q('mms', day.startMs), await q('mms', month.startMs)];
  return {
    smsDaily: results[0]!.value,
    smsMonthly: results[1]!.value,
    mmsDaily: results[2]!.value,
    mmsMonthly: results[3]!.value,
    ms: results.reduce((sum, r) => sum + r.ms, 0),
  };
}

async function timeUsage(url: string): Promise<{ p50: number; p99: number; mean: number; body: any }> {
  const headers = { authorization: `Basic ${Buffer.from('usage-bench:bench-pass').toString('base64')}` };
  const get = async () => {
    const res = await fetch(`${url}/messages/usage`, { headers });
    if (res.status !== 200) throw new Error(`GET /messages/usage answered ${res.status}: ${await res.text()}`);
    return res.json();
  };
  for (let i = 0; i < 200; i++) await get();
  const times: number[] = [];
  let body: unknown;
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    body = await get();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((a, b) => a + b, 0) / times.length, body };
}

async function main(): Promise<void> {
  const [redisSvc, pgSvc] = await Promise.all([startRedis(), startPostgres()]);
  const dbUrl = await pgSvc.createDatabase('usage_bench');
  const logger = silentLogger();
  const store = await createStore({ driver: 'pg', url: dbUrl }, { secretBox: createSecretBox('usage-bench-encryption-key-0123456789') });
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const redis = await connectRedis(redisSvc.url, { logger, connectionName: 'usage-bench' });
  const bus = createBus({ kind: 'memory' }, { nodeId: 'bench', logger });
  let server: WebServer | undefined;
  try {
    await store.migrate();
    await bus.start();
    const client = await setupClient(store);
    const directory = createDirectory(store, { fullReloadMs: 0 });
    await directory.start();
    let nowMs = Date.now();
    const clock = { now: () => nowMs, set: (ms: number) => void (nowMs = ms) };
    const quota = createQuota({ kind: 'redis', redis }, { keyPrefix: 'bench' }, { view: directory, logger, now: clock.now });

    const endMs = Date.now();
    const insertSecs = await insertRecords(pool, client.id, client.numbers, endMs - SPAN_MS);
    console.log(`inserted ${RECORDS.toLocaleString()} ledger rows in ${insertSecs.toFixed(1)} s`);
    const counted = await countThroughGate(pool, quota, clock, client.id);
    console.log(
      `counted through the gate (Redis): ${counted.admitted.toLocaleString()} admitted, ${counted.refused} refused, ` +
        `${counted.seconds.toFixed(1)} s (${Math.round(counted.admitted / counted.seconds).toLocaleString()} admits/s)`,
    );

    clock.set(Math.max(Date.now(), endMs));
    const fromLedger = await ledgerFigures(pool, client.id, clock.now());
    const report = await quota.usage.report(directory.client(client.id)!);
    const fromCounters = {
      smsDaily: report.client.sms.daily.used,
      smsMonthly: report.client.sms.monthly.used,
      mmsDaily: report.client.mms.daily.used,
      mmsMonthly: report.client.mms.monthly.used,
    };
    console.log('counters:', fromCounters);
    console.log(
      'ledger:  ',
      {
        smsDaily: fromLedger.smsDaily,
        smsMonthly: fromLedger.smsMonthly,
        mmsDaily: fromLedger.mmsDaily,
        mmsMonthly: fromLedger.mmsMonthly,
      },
      `(4 SUM/COUNT queries: ${fromLedger.ms.toFixed(0)} ms)`,
    );
    const agree =
      fromCounters.smsDaily === fromLedger.smsDaily &&
      fromCounters.smsMonthly === fromLedger.smsMonthly &&
      fromCounters.mmsDaily === fromLedger.mmsDaily &&
      fromCounters.mmsMonthly === fromLedger.mmsMonthly;
    console.log(agree ? 'usage counters agree with the ledger' : 'MISMATCH between counters and ledger');

    const app = createApp({
      store,
      directory,
      changes: new LocalConfigChanges(directory),
      apiKey: 'bench-admin',
      serverAddress: 'http://127.0.0.1:9',
      serverId: 'bench',
      logger,
      ready: () => true,
      bus,
      subjects: subjects(''),
      carrierWebhooks: carrierWebhooks(),
      ingress: msgInIngress(bus, subjects('')),
      usage: quota.usage,
      apiKeyRateLimit: quota.apiKeyLimit,
    });
    server = new WebServer({ listen: { host: '127.0.0.1', port: 0 } }, { app });
    await server.start();
    const timing = await timeUsage(server.url());
    console.log(
      `GET /messages/usage x ${CALLS.toLocaleString()}: p50 ${timing.p50.toFixed(2)} ms, p99 ${timing.p99.toFixed(2)} ms, ` +
        `mean ${timing.mean.toFixed(2)} ms (target p99 < 50 ms: ${timing.p99 < 50 ? 'met' : 'NOT met'})`,
    );
    console.log('client.sms:', JSON.stringify(timing.body.client.sms));
    await directory.stop();
    if (!agree) process.exitCode = 1;
  } finally {
    await server?.stop();
    await bus.stop();
    await closeRedis(redis);
    await pool.end();
    await store.close();
    await Promise.all([redisSvc.stop(), pgSvc.stop()]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
