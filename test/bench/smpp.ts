/**
 * `npm run bench:smpp`: SMPP submits through one gateway node in cluster mode (real nats-server,
 * redis-server, PostgreSQL) to a test carrier on loopback. 4 binds of the npm `smpp` client, each
 * pipelining up to 100 submit_sm. Prints submit_sm/s acknowledged (the gateway answers only after
 * the message is durably on the bus), messages/s delivered to the carrier, p50/p99
 * submit_sm_resp latency, node RSS and CPU ms per message, and, in the same run, the rate of a
 * bare npm `smpp` server that answers submit_sm at once (the ceiling), driven by the same client.
 * Targets: ≥ 5,000 submit_sm/s acknowledged and ≥ 3,000/s delivered on 2 cores.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startNats, startPostgres, startRedis } from '../support/services.js';
import { FakeCarrier } from '../support/fake-carrier.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { freePort } from '../support/process.js';
import { percentile } from './load.js';
import { bindSessions, closeSessions, submitLoad, type SubmitLoadResult } from './smpp-load.js';
import {
  BENCH_ENTRY,
  benchGatewayEnv,
  benchNodeArgs,
  cpuSeconds,
  machineCpuSeconds,
  ownCpuSeconds,
  rssMb,
  waitDelivered,
} from './measure.js';

const TOTAL = Number(process.env.BENCH_TOTAL ?? 40_000);
const BINDS = Number(process.env.BENCH_BINDS ?? 4);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 100);
const WARMUP = 2_000;
const API_KEY = 'bench-smpp-admin-key-0123456789abcdef';
const admin = { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' };

const submitFields = (i: number) => ({
  source_addr_ton: 1,
  source_addr_npi: 1,
  source_addr: '15550001000',
  dest_addr_ton: 1,
  dest_addr_npi: 1,
  destination_addr: `1555${String(2_000_000 + (i % 8_000_000)).padStart(7, '0')}`,
  data_coding: 0,
  short_message: `bench ${i}`,
});

/** The bare npm smpp echo server in its own process, loaded the same way. */
async function ceiling(): Promise<SubmitLoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/bare-smpp.ts', String(await freePort())], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve) =>
      child.stdout!.once('data', (d: Buffer) => resolve(Number(/ready (\d+)/.exec(d.toString())?.[1]))),
    );
    const sessions = await bindSessions(port, BINDS, 'bench', 'x');
    await submitLoad(sessions, WARMUP, WINDOW, submitFields);
    const r = await submitLoad(sessions, TOTAL, WINDOW, submitFields, WARMUP);
    await closeSessions(sessions);
    return r;
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const [nats, redis, pg] = await Promise.all([startNats(), startRedis(), startPostgres()]);
  const fake = await FakeCarrier.start();
  const smppPort = await freePort();
  const node = await startGatewayProcess(
    'benchsmpp',
    {
      DATABASE_URL: await pg.createDatabase('bench_smpp'),
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      SMPP_LISTEN: `127.0.0.1:${smppPort}`,
      ENCRYPTION_KEY: 'bench-encryption-key-0123456789abcdef',
      API_KEY,
      SERVER_ADDRESS: 'http://127.0.0.1:9',
      LOG_LEVEL: 'warn',
      ...benchGatewayEnv(),
    },
    benchNodeArgs(),
    BENCH_ENTRY,
  );
  try {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${node.url}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body) });
      const json = (await res.json()) as any;
      if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const row = fake.carrierRow('telnyx');
    await post('/carriers', {
      name: 'telnyx-bench',
      type: 'telnyx',
      username: 'x',
      password: row.password,
      api_base_url: fake.url,
      max_rps: 100_000,
    });
    const client = await post('/clients', { username: 'bench', password: 'benchpw', type: 'legacy', address: '127.0.0.1' });
    await post(`/clients/${client.id}/numbers`, { number: '+15550001000', carrier: 'telnyx-bench' });
    await new Promise((r) => setTimeout(r, 2_000)); // carrier lease taken

    const sessions = await bindSessions(smppPort, BINDS, 'bench', 'benchpw');
    const warm = await submitLoad(sessions, WARMUP, WINDOW, submitFields); // JIT, pools, streams
    await waitDelivered(fake, warm.ok, 60_000);
    fake.reset();

    const cpuBefore = cpuSeconds(node.pid);
    const [machineBefore, benchBefore] = [machineCpuSeconds(), ownCpuSeconds()];
    const started = performance.now();
    const burst = await submitLoad(sessions, TOTAL, WINDOW, submitFields, WARMUP);
    const deliveredSecs = await waitDelivered(fake, burst.ok, 300_000, started);
    const cpu = cpuSeconds(node.pid) - cpuBefore;
    const [machineCpu, benchCpu] = [machineCpuSeconds() - machineBefore, ownCpuSeconds() - benchBefore];
    const rss = rssMb(node.pid);
    await closeSessions(sessions);
    const bare = await ceiling();

    const report = {
      messages: TOTAL,
      binds: BINDS,
      window_per_bind: WINDOW,
      submit_sm_acked_per_sec: Math.round(burst.ok / burst.seconds),
      delivered_per_sec: Math.round(burst.ok / deliveredSecs),
      refused: burst.failed,
      statuses: burst.statuses,
      submit_resp_p50_ms: +percentile(burst.latenciesMs, 50).toFixed(2),
      submit_resp_p99_ms: +percentile(burst.latenciesMs, 99).toFixed(2),
      node_cpu_ms_per_msg: +((cpu * 1000) / Math.max(1, burst.ok)).toFixed(3),
      // The bench's own ESMEs and fake carrier, and the whole machine (services, kernel included).
      bench_cpu_ms_per_msg: +((benchCpu * 1000) / Math.max(1, burst.ok)).toFixed(3),
      machine_cpu_ms_per_msg: +((machineCpu * 1000) / Math.max(1, burst.ok)).toFixed(3),
      node_rss_mb: Math.round(rss.rss),
      node_peak_rss_mb: Math.round(rss.peak),
      bare_smpp_submit_per_sec: Math.round(bare.ok / bare.seconds),
      bare_smpp_p50_ms: +percentile(bare.latenciesMs, 50).toFixed(2),
      bare_smpp_p99_ms: +percentile(bare.latenciesMs, 99).toFixed(2),
      acked_vs_bare: +(burst.ok / burst.seconds / (bare.ok / bare.seconds)).toFixed(2),
      load_average_1m: +readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await node.stop();
    await fake.close();
    await Promise.all([nats.stop(), redis.stop(), pg.stop()]);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
