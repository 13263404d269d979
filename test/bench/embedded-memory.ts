/**
 * `npm run bench:embedded`: what the embedded default (`npm start` with no service variables)
 * holds in memory. Starts the gateway as production does (the compiled build, production's node
 * flags) on a fresh data dir, idles, sends BENCH_TOTAL REST messages through it to a carrier on
 * loopback, idles again, then restarts it on the same data dir and idles. Prints RSS, peak RSS
 * and the V8 heap at each step, then PGlite alone (no gateway) with a few settings, on a fresh
 * data dir and again on the same one. Target: an idle node under 300 MB.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import { LeanCarrier } from './lean-carrier.js';
import { closedLoop } from './load.js';
import { BENCH_ENTRY, benchGatewayEnv, benchNodeArgs, rssMb, waitDelivered } from './measure.js';

const TOTAL = Number(process.env.BENCH_TOTAL ?? 1_000);
const IDLE_MS = Number(process.env.BENCH_IDLE_SECS ?? 10) * 1000;
/** BENCH_PART=gateway or pglite runs one half; both by default. */
const PART = process.env.BENCH_PART ?? 'both';

interface Sample {
  step: string;
  rss_mb: number;
  peak_rss_mb: number;
  heap_used_mb?: number;
  external_mb?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (mb: number) => Math.round(mb);

/** RSS now and at its peak, plus the V8 heap and external memory from the node's /metrics. */
async function sample(step: string, node: GatewayProcess, apiKey: string): Promise<Sample> {
  const { rss, peak } = rssMb(node.pid);
  const text = await (await fetch(`${node.url}/metrics`, { headers: adminHeaders(apiKey) })).text();
  const mb = (name: string) => round(Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1048576);
  return {
    step,
    rss_mb: round(rss),
    peak_rss_mb: round(peak),
    heap_used_mb: mb('nodejs_heap_size_used_bytes'),
    external_mb: mb('nodejs_external_memory_bytes'),
  };
}

function adminHeaders(apiKey: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`admin:${apiKey}`).toString('base64')}`, 'content-type': 'application/json' };
}

/** A carrier, a web client and its number, through the admin API. */
async function configure(node: GatewayProcess, apiKey: string, carrier: LeanCarrier): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${node.url}${path}`, { method: 'POST', headers: adminHeaders(apiKey), body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<{ id: number }>;
  };
  await post('/carriers', {
    name: 'telnyx-bench',
    type: 'telnyx',
    username: 'x',
    password: carrier.carrierRow('telnyx').password,
    api_base_url: carrier.url,
    max_rps: 100_000,
  });
  const client = await post('/clients', { username: 'bench', password: 'bench-pass', type: 'web' });
  await post(`/clients/${client.id}/numbers`, { number: '+15550001000', carrier: 'telnyx-bench' });
}

/** Messages accepted and delivered, and the seconds from the first send to the last delivery. */
async function sendMessages(node: GatewayProcess, carrier: LeanCarrier): Promise<{ sent: number; seconds: number }> {
  const started = performance.now();
  const result = await closedLoop(
    {
      url: `${node.url}/messages/send`,
      okStatus: 202,
      headers: { authorization: `Basic ${Buffer.from('bench:bench-pass').toString('base64')}` },
      body: (i) => JSON.stringify({ from: '+15550001000', to: `+1555${2_000_000 + i}`, text: `bench ${i}` }),
    },
    TOTAL,
    32,
  );
  const seconds = await waitDelivered(carrier, result.ok, 120_000, started);
  return { sent: result.ok, seconds: +seconds.toFixed(2) };
}

async function gateway(): Promise<Sample[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'msggw-bench-embedded-'));
  const carrier = await LeanCarrier.start();
  // Only the data dir and the ports differ from `npm start`: no service variables, no API_KEY.
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'info', ...benchGatewayEnv() };
  const samples: Sample[] = [];
  try {
    let node = await startGatewayProcess('embedded', env, benchNodeArgs(), BENCH_ENTRY);
    const apiKey = /API_KEY=(\S+)/.exec(node.output())?.[1];
    if (!apiKey) throw new Error(`the first start printed no API key:\n${node.output()}`);
    await sleep(IDLE_MS);
    samples.push(await sample('first start, idle', node, apiKey));
    await configure(node, apiKey, carrier);
    const { sent, seconds } = await sendMessages(node, carrier);
    samples.push(await sample(`after ${sent} REST messages (${seconds} s to deliver)`, node, apiKey));
    await sleep(IDLE_MS);
    samples.push(await sample(`${IDLE_MS / 1000} s later`, node, apiKey));
    await node.stop();
    node = await startGatewayProcess('embedded', env, benchNodeArgs(), BENCH_ENTRY);
    await sleep(IDLE_MS);
    samples.push(await sample('restart, idle', node, apiKey));
    await node.stop();
  } finally {
    await carrier.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return samples;
}

/**
 * PGlite alone in a plain node process: RSS before and after it opens `dir` with these server
 * settings (`-c name=value`), and after 20,000 rows are written. On a fresh dir that includes
 * initdb, which the embedded store runs in a child process of its own.
 */
const PGLITE_ALONE = `
const { PGlite } = await import(process.argv[1]);
const { readFileSync } = await import('node:fs');
const mb = (key) => Math.round(Number(/(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8').split('\\n').find((l) => l.startsWith(key)))[1]) / 1024);
const settings = JSON.parse(process.argv[3]);
const before = mb('VmRSS:');
const pg = new PGlite(process.argv[2], { startParams: [...PGlite.defaultStartParams, ...settings.flatMap((s) => ['-c', s])] });
await pg.waitReady;
const ready = mb('VmRSS:');
await pg.query('create table if not exists t (id serial primary key, body text)');
for (let i = 0; i < 20; i++) await pg.query("insert into t (body) select repeat('x', 200) from generate_series(1, 1000)");
process.stdout.write(JSON.stringify({ before, ready, after_rows: mb('VmRSS:'), peak: mb('VmHWM:') }));
await pg.close();
`;

interface Preset {
  settings: string[];
  nodeArgs?: string[];
}

const PRESETS: Record<string, Preset> = {
  'PGlite defaults': { settings: [] },
  'shared_buffers=64MB': { settings: ['shared_buffers=64MB'] },
  'shared_buffers=32MB': { settings: ['shared_buffers=32MB'] },
  'shared_buffers=16MB': { settings: ['shared_buffers=16MB'] },
  'shared_buffers=8MB': { settings: ['shared_buffers=8MB'] },
  'shared_buffers=16MB, small work areas': {
    settings: [
      'shared_buffers=16MB',
      'wal_buffers=1MB',
      'work_mem=1MB',
      'temp_buffers=1MB',
      'maintenance_work_mem=8MB',
      'max_connections=5',
    ],
  },
  'shared_buffers=16MB, --liftoff-only (the embedded store)': { settings: ['shared_buffers=16MB'], nodeArgs: ['--liftoff-only'] },
};

function pgliteAloneRun(dir: string, preset: Preset): Promise<Record<string, number>> {
  const url = import.meta.resolve('@electric-sql/pglite');
  const child = spawn(
    process.execPath,
    [...(preset.nodeArgs ?? []), '--input-type=module', '-e', PGLITE_ALONE, url, dir, JSON.stringify(preset.settings)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Record<string, number>) : reject(new Error(`PGlite alone exited with ${code}`)),
    ),
  );
}

async function pgliteAlone(): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const [name, preset] of Object.entries(PRESETS)) {
    const dir = await mkdtemp(join(tmpdir(), 'msggw-bench-pglite-'));
    try {
      const first = await pgliteAloneRun(dir, preset);
      const again = await pgliteAloneRun(dir, preset);
      rows.push({ settings: name, first_start: first, restart: again });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const report: Record<string, unknown> = { entry: BENCH_ENTRY, node_args: benchNodeArgs().join(' ') };
  if (PART !== 'pglite') report.gateway = await gateway();
  if (PART !== 'gateway') report.pglite_alone_mb = await pgliteAlone();
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
