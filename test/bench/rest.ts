/**
 * `npm run bench:rest`: REST sends through gateway nodes in cluster mode (real nats-server,
 * redis-server, PostgreSQL; one node, or BENCH_NODES processes with the load spread over them
 * as a VIP would) to a test carrier on loopback. Prints accepted/s, delivered/s,
 * p50/p99 accept latency at 1,000/s, node RSS, and a bare Koa server's requests/s measured in
 * the same run as the baseline. Targets: ≥ 3,000 delivered/s end to end, p99 accept
 * < 50 ms at 1,000/s, < 300 MB RSS.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startNats, startPostgres, startRedis } from '../support/services.js';
import { FakeCarrier } from '../support/fake-carrier.js';
import { LeanCarrier } from './lean-carrier.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { freePort } from '../support/process.js';
import { closedLoop, openLoop, percentile, type Target } from './load.js';
import { wrkBurst } from './wrk.js';
import {
  BENCH_ENTRY,
  benchGatewayEnv,
  benchNodeArgs,
  cpuSeconds,
  machineCpuSeconds,
  ownCpuSeconds,
  rssMb,
  serviceCpuSeconds,
  waitDelivered,
} from './measure.js';

const TOTAL = Number(process.env.BENCH_TOTAL ?? 30_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 128);
/** Gateway processes sharing the services, the load spread over them as a VIP would (cluster mode). */
const NODES = Number(process.env.BENCH_NODES ?? 1);
/** The burst's load generator: `node` (load.ts, undici) or `wrk` (wrk.ts, as Kannel was measured; BENCH_WRK_SECS long). */
const LOAD = process.env.BENCH_LOAD ?? 'node';
const WRK_SECS = Number(process.env.BENCH_WRK_SECS ?? 10);
/**
 * The carrier on loopback: `lean` (lean-carrier.ts: answers at once, as the SMSC Kannel was
 * measured against did) or `full` (the tests' recording FakeCarrier on node:http, which costs the
 * shared cores several times more per send).
 */
const CARRIER = process.env.BENCH_CARRIER ?? 'lean';
const API_KEY = 'bench-admin-key';
const admin = { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' };

async function baseline(): Promise<number> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/bare-koa.ts', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  const target: Target = {
    url: `http://127.0.0.1:${port}/`,
    headers: {},
    okStatus: 202,
    body: (i) => JSON.stringify({ from: '+15550001000', to: `+1555${2_000_000 + i}`, text: `bench ${i}` }),
  };
  await closedLoop(target, 2_000, CONCURRENCY);
  const r = LOAD === 'wrk' ? await wrkBurst(target.url as string, '', 5, CONCURRENCY) : await closedLoop(target, TOTAL, CONCURRENCY);
  child.kill('SIGTERM');
  return r.ok / r.seconds;
}

/**
 * BENCH_TIMELINE=1: every 500 ms to stderr, messages delivered so far and the CPU the nodes and
 * the whole machine used in that half second (where a burst spends its time).
 */
function traceTimeline(fake: { sentCount: number }, pids: number[]): NodeJS.Timeout {
  const t0 = performance.now();
  let last = { delivered: 0, node: pids.reduce((s, p) => s + cpuSeconds(p), 0), machine: machineCpuSeconds() };
  return setInterval(() => {
    const now = { delivered: fake.sentCount, node: pids.reduce((s, p) => s + cpuSeconds(p), 0), machine: machineCpuSeconds() };
    process.stderr.write(
      `t=${((performance.now() - t0) / 1000).toFixed(1)}s delivered=${now.delivered} (+${now.delivered - last.delivered}) ` +
        `node=${Math.round((now.node - last.node) * 200)}% machine=${Math.round((now.machine - last.machine) * 200)}%\n`,
    );
    last = now;
  }, 500);
}

async function main(): Promise<void> {
  if (LOAD !== 'node' && LOAD !== 'wrk') throw new Error(`BENCH_LOAD is node or wrk, not ${LOAD}`);
  if (LOAD === 'wrk' && NODES > 1) throw new Error('BENCH_LOAD=wrk drives one node (BENCH_NODES=1)');
  if (CARRIER !== 'lean' && CARRIER !== 'full') throw new Error(`BENCH_CARRIER is lean or full, not ${CARRIER}`);
  const [nats, redis, pg] = await Promise.all([startNats(), startRedis(), startPostgres()]);
  const fake = CARRIER === 'full' ? await FakeCarrier.start() : await LeanCarrier.start();
  const env = {
    DATABASE_URL: await pg.createDatabase('bench'),
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    ENCRYPTION_KEY: 'bench-encryption-key-0123456789abcdef',
    API_KEY,
    SERVER_ADDRESS: 'http://127.0.0.1:9',
    LOG_LEVEL: 'warn',
    ...benchGatewayEnv(),
  };
  const nodeArgs = benchNodeArgs();
  // The first node migrates the database; the others start once it is up.
  const nodes = [await startGatewayProcess('bench1', env, nodeArgs, BENCH_ENTRY)];
  for (let i = 2; i <= NODES; i++) nodes.push(await startGatewayProcess(`bench${i}`, env, nodeArgs, BENCH_ENTRY));
  const node = nodes[0]!;
  const pids = nodes.map((n) => n.pid);
  const cpuOfNodes = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const rssOfNodes = () => pids.map(rssMb).reduce((a, b) => ({ rss: Math.max(a.rss, b.rss), peak: Math.max(a.peak, b.peak) }));
  try {
    const post = (path: string, body: unknown) =>
      fetch(`${node.url}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
    const row = fake.carrierRow('telnyx');
    await post('/carriers', {
      name: 'telnyx-bench',
      type: 'telnyx',
      username: 'x',
      password: row.password,
      api_base_url: fake.url,
      max_rps: 100_000,
    });
    const client = await post('/clients', { username: 'bench', password: 'bench-pass', type: 'web' });
    await post(`/clients/${client.id}/numbers`, { number: '+15550001000', carrier: 'telnyx-bench' });
    await new Promise((r) => setTimeout(r, 2_000)); // carrier lease taken
    const rssIdle = rssOfNodes();

    const target: Target = {
      url: nodes.map((n) => `${n.url}/messages/send`),
      okStatus: 202,
      headers: { authorization: `Basic ${Buffer.from('bench:bench-pass').toString('base64')}` },
      body: (i) => JSON.stringify({ from: '+15550001000', to: `+1555${2_000_000 + i}`, text: `bench ${i}` }),
    };
    await closedLoop(target, 2_000, 32, 10_000_000); // warm-up (JIT, pools)
    await waitDelivered(fake, 2_000, 60_000);
    fake.reset();

    const cpuBefore = cpuOfNodes();
    const machineBefore = machineCpuSeconds();
    const benchBefore = ownCpuSeconds();
    const servicesBefore = serviceCpuSeconds(Number(new URL(pg.url).port));
    await gatewayLoopLag(node.url); // resets the gateway's loop-lag window to the burst
    const started = performance.now();
    const timeline = process.env.BENCH_TIMELINE ? traceTimeline(fake, pids) : undefined;
    const burst =
      LOAD === 'wrk'
        ? await wrkBurst(`${node.url}/messages/send`, target.headers.authorization!, WRK_SECS, CONCURRENCY)
        : await closedLoop(target, TOTAL, CONCURRENCY);
    const deliveredSecs = await waitDelivered(fake, burst.ok, 300_000, started);
    if (timeline) clearInterval(timeline);
    const burstLoop = await gatewayLoopLag(node.url);
    const rssAfterBurst = rssOfNodes();
    const burstCpu = cpuOfNodes() - cpuBefore;
    const machineCpu = machineCpuSeconds() - machineBefore;
    const benchCpu = ownCpuSeconds() - benchBefore;
    const servicesAfter = serviceCpuSeconds(Number(new URL(pg.url).port));
    const serviceMs = (name: keyof typeof servicesAfter) => +(((servicesAfter[name] - servicesBefore[name]) * 1000) / burst.ok).toFixed(3);
    fake.reset();

    // The bench's own event loop (load generator and fake carrier) adds to every latency it
    // measures: its delay during the paced phase says how much of the tail is the bench's.
    // And the gateway's (prom-client's nodejs_eventloop_lag_*, reset by each scrape).
    const benchLoop = monitorEventLoopDelay({ resolution: 5 });
    await gatewayLoopLag(node.url);
    benchLoop.enable();
    const paced = await openLoop(target, 1_000, 10, 20_000_000);
    benchLoop.disable();
    const gatewayLoop = await gatewayLoopLag(node.url);
    await waitDelivered(fake, paced.ok, 120_000);
    const rss = rssOfNodes();
    const koa = await baseline();

    const report = {
      load: LOAD,
      carrier: CARRIER,
      messages: burst.ok,
      concurrency: CONCURRENCY,
      nodes: NODES,
      accepted_per_sec: Math.round(burst.ok / burst.seconds),
      delivered_per_sec: Math.round(burst.ok / deliveredSecs),
      refused: burst.failed,
      node_cpu_ms_per_msg: +((burstCpu * 1000) / burst.ok).toFixed(3),
      // The rest of the machine's CPU per message: the bench's own load generator (not wrk, a
      // process of its own) and fake carrier, and everything else (nats-server, Redis,
      // PostgreSQL, wrk, the kernel's loopback).
      bench_cpu_ms_per_msg: +((benchCpu * 1000) / burst.ok).toFixed(3),
      machine_cpu_ms_per_msg: +((machineCpu * 1000) / burst.ok).toFixed(3),
      // Of that rest, the services' own (every process of each); the remainder is the kernel's.
      nats_cpu_ms_per_msg: serviceMs('nats-server'),
      redis_cpu_ms_per_msg: serviceMs('redis-server'),
      postgres_cpu_ms_per_msg: serviceMs('postgres'),
      burst_accept_p50_ms: +('p50Ms' in burst ? burst.p50Ms : percentile(burst.latenciesMs, 50)).toFixed(2),
      burst_accept_p99_ms: +('p99Ms' in burst ? burst.p99Ms : percentile(burst.latenciesMs, 99)).toFixed(2),
      burst_gateway_loop_delay_p99_ms: burstLoop.p99Ms,
      burst_gateway_loop_delay_max_ms: burstLoop.maxMs,
      at_1000_per_sec_p50_ms: +percentile(paced.latenciesMs, 50).toFixed(2),
      at_1000_per_sec_p99_ms: +percentile(paced.latenciesMs, 99).toFixed(2),
      at_1000_bench_loop_delay_p99_ms: +(benchLoop.percentile(99) / 1e6).toFixed(2),
      at_1000_bench_loop_delay_max_ms: +(benchLoop.max / 1e6).toFixed(2),
      at_1000_gateway_loop_delay_p99_ms: gatewayLoop.p99Ms,
      at_1000_gateway_loop_delay_max_ms: gatewayLoop.maxMs,
      node_rss_idle_mb: Math.round(rssIdle.rss),
      node_rss_mb: Math.round(rss.rss),
      node_peak_rss_mb: Math.round(Math.max(rss.peak, rssAfterBurst.peak)),
      bare_koa_req_per_sec: Math.round(koa),
      accepted_vs_bare_koa: +(burst.ok / burst.seconds / koa).toFixed(2),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    for (const n of nodes) await n.stop();
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

/** The gateway's event-loop delay since the last scrape, from its /metrics (first node). */
async function gatewayLoopLag(url: string): Promise<{ p99Ms: number; maxMs: number }> {
  const text = await (await fetch(`${url}/metrics`, { headers: admin })).text();
  const seconds = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    p99Ms: +(seconds('nodejs_eventloop_lag_p99_seconds') * 1000).toFixed(2),
    maxMs: +(seconds('nodejs_eventloop_lag_max_seconds') * 1000).toFixed(2),
  };
}
