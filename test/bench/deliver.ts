/**
 * `npm run bench:deliver`: messages to an SMPP client's binds through gateway nodes in cluster
 * mode (real nats-server, redis-server, PostgreSQL). A legacy client owns +15550009000; its ESMEs
 * (the npm `smpp` client) are bound as transceivers and answer every deliver_sm, at once or after
 * BENCH_ANSWER_DELAY_MS. Phase `rest`: a web client POSTs /messages/send to that number over
 * keep-alive HTTP (load.ts). Phase `webhook`: signed Telnyx message.received webhooks to it.
 * Prints per phase accepted/s, deliver_sm/s (first request sent to last deliver_sm received),
 * p50/p99 from the request leaving the bench to its deliver_sm reaching an ESME, the most
 * deliver_sm any bind had unanswered, node CPU ms per message; and the nodes' peak RSS.
 *
 * BENCH_NODES nodes (default 1), BENCH_BINDS binds on each (default 1), requests spread over the
 * nodes as a VIP would; BENCH_WINDOW sets SMPP_WINDOW (else the default); BENCH_PHASES=rest,webhook.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startNats, startPostgres, startRedis } from '../support/services.js';
import { FakeCarrier, signTelnyx, telnyxEvent } from '../support/fake-carrier.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import { freePort } from '../support/process.js';
import { DEFAULT_SMPP_WINDOW } from '../../internal/config/defaults.js';
import { closedLoop, percentile, type LoadResult, type Target } from './load.js';
import { bindSessions, closeSessions } from './smpp-load.js';
import {
  BENCH_ENTRY,
  benchGatewayEnv,
  benchNodeArgs,
  cpuSeconds,
  machineCpuSeconds,
  ownCpuSeconds,
  rssMb,
  serviceCpuSeconds,
} from './measure.js';

export interface DeliverOptions {
  total: number;
  concurrency: number;
  /** SMPP_WINDOW; undefined keeps the gateway's default. */
  window?: number;
  answerDelayMs: number;
  nodes: number;
  bindsPerNode: number;
  phases: Array<'rest' | 'webhook' | 'backlog'>;
  /** Kannel's shape: node 0 takes every request, the binds are on the other nodes only. */
  split: boolean;
}

export function deliverOptionsFromEnv(): DeliverOptions {
  return {
    total: Number(process.env.BENCH_TOTAL ?? 5_000),
    concurrency: Number(process.env.BENCH_CONCURRENCY ?? 64),
    window: process.env.BENCH_WINDOW ? Number(process.env.BENCH_WINDOW) : undefined,
    answerDelayMs: Number(process.env.BENCH_ANSWER_DELAY_MS ?? 0),
    nodes: Number(process.env.BENCH_NODES ?? 1),
    bindsPerNode: Number(process.env.BENCH_BINDS ?? 1),
    phases: (process.env.BENCH_PHASES ?? 'rest,webhook').split(',') as DeliverOptions['phases'],
    split: process.env.BENCH_SPLIT === '1',
  };
}

const WARMUP = 500;
/** prom-client's eventLoopMonitoringPrecision default, the timer its lag histogram runs on. */
const PROM_LAG_RESOLUTION_MS = 10;
const WARMUP_OFFSET = 10_000_000; // warm-up texts are bench-* 10000000..
const API_KEY = 'bench-deliver-admin-key-0123456789ab';
const admin = { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' };
const PBX_NUMBER = '+15550009000';
const WEB_NUMBER = '+15550001000';

/** What the ESMEs saw: when each bench text's deliver_sm arrived, and how many were unanswered at most. */
export class Deliveries {
  readonly sentAt = new Map<string, number>();
  readonly arrivedAt = new Map<string, number>();
  count = 0;
  last = 0;
  /** The most deliver_sm one bind had received and not yet answered. */
  maxUnanswered = 0;

  /** Counts deliver_sm on `session`; call before its own listener answers them. */
  watch(session: { on(event: string, listener: (pdu: any) => void): void; send(pdu: any): boolean }, answerDelayMs: number): void {
    let unanswered = 0;
    session.on('deliver_sm', (pdu) => {
      this.onDeliver(pdu);
      if (answerDelayMs === 0) return; // answered in the same tick: never more than one open
      unanswered++;
      this.maxUnanswered = Math.max(this.maxUnanswered, unanswered);
      setTimeout(() => unanswered--, answerDelayMs);
    });
  }

  onDeliver(pdu: any): void {
    const text = pduText(pdu);
    const key = /bench-\w+ \d+/.exec(text)?.[0];
    if (!key || this.arrivedAt.has(key)) return;
    const now = performance.now();
    this.arrivedAt.set(key, now);
    this.count++;
    this.last = now;
  }

  async waitFor(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.count}/${count} messages arrived in time`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Milliseconds from each measured text's request to its arrival. */
  latencies(prefix: string): number[] {
    const out: number[] = [];
    for (const [key, sent] of this.sentAt) {
      const arrived = this.arrivedAt.get(key);
      if (key.startsWith(prefix) && arrived !== undefined) out.push(arrived - sent);
    }
    return out;
  }
}

export function pduText(pdu: any): string {
  const part = (v: any): string =>
    v === undefined || v === null ? '' : typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('latin1') : part(v.message);
  return part(pdu.short_message) || part(pdu.message_payload);
}

export interface PhaseResult {
  accepted: number;
  refused: number;
  accepted_per_sec: number;
  delivered_per_sec: number;
  accept_p50_ms: number;
  accept_p99_ms: number;
  to_arrival_p50_ms: number;
  to_arrival_p99_ms: number;
  cpu_ms_per_msg: number;
  machine_cpu_ms_per_msg: number;
  max_unanswered: number;
  /** Mean deliver_sm → deliver_sm_resp time as the gateway saw it: the window allows window ÷ this a bind. */
  deliver_sm_round_trip_ms?: number;
  /** How late the node's and the bench's event loops ran during the burst (both sides of every round trip). */
  event_loop_delay_ms: Record<string, number>;
  /** Work the services did per message, when the phase was given counters for it. */
  per_msg?: Record<string, number>;
  /** CPU ms a message of each other process on the path (nats-server, PostgreSQL, Redis, the bench). */
  other_cpu_ms_per_msg?: Record<string, number>;
}

/**
 * The nodes' deliver_sm round trips so far (deliver_sm written to deliver_sm_resp read, as the
 * gateway timed them): their count and summed seconds, from msggw_smpp_deliver_sm_latency_seconds.
 */
async function deliverRoundTrips(urls: string[]): Promise<Record<string, number>> {
  let count = 0;
  let sum = 0;
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`, { headers: admin })).text();
    for (const line of text.split('\n')) {
      const m = /^msggw_smpp_deliver_sm_latency_seconds_(sum|count)\{[^}]*kind="message"[^}]*\} (\S+)/.exec(line);
      if (m?.[1] === 'sum') sum += Number(m[2]);
      if (m?.[1] === 'count') count += Number(m[2]);
    }
  }
  return { deliver_sm_count: count, deliver_sm_seconds: sum };
}

/**
 * The nodes' mean and worst p99 event-loop delay since the last scrape (prom-client resets it on
 * each), less the 10 ms timer prom-client measures it with, which an idle loop also reports.
 */
async function nodeLoopDelay(urls: string[]): Promise<{ mean: number; p99: number }> {
  const means: number[] = [];
  const p99s: number[] = [];
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`, { headers: admin })).text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    means.push(value('nodejs_eventloop_lag_mean_seconds'));
    p99s.push(value('nodejs_eventloop_lag_p99_seconds'));
  }
  const avg = means.reduce((a, b) => a + b, 0) / means.length;
  return { mean: +(avg * 1000 - PROM_LAG_RESOLUTION_MS).toFixed(2), p99: +(Math.max(...p99s) * 1000 - PROM_LAG_RESOLUTION_MS).toFixed(2) };
}

/** Counters of work the services do (NATS messages in and out, PostgreSQL transactions and rows read). */
export async function serviceCounters(natsMonitorUrl: string, databaseUrl: string): Promise<Record<string, number>> {
  const varz = (await (await fetch(`${natsMonitorUrl}/varz`)).json()) as { in_msgs: number; out_msgs: number };
  const db = new URL(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT xact_commit, tup_fetched, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = $1',
      [db.pathname.slice(1)],
    );
    const r = rows[0] as Record<string, string>;
    const hot = await client.query('SELECT coalesce(sum(n_tup_hot_upd), 0) AS hot FROM pg_stat_user_tables');
    return {
      nats_msgs_in: varz.in_msgs,
      nats_msgs_out: varz.out_msgs,
      pg_transactions: Number(r.xact_commit),
      pg_rows_read: Number(r.tup_fetched),
      pg_rows_written: Number(r.tup_inserted) + Number(r.tup_updated),
      pg_rows_updated: Number(r.tup_updated),
      pg_hot_updates: Number((hot.rows[0] as { hot: string }).hot),
    };
  } finally {
    await client.end();
  }
}

/**
 * One measured burst: `warmup` requests first (JIT, pools, consumers), then `total` with
 * `concurrency` in flight, timed until every accepted one arrived. `cpu()` is the CPU seconds
 * of the system under test so far.
 */
export async function measurePhase(
  target: Target,
  arrivals: Deliveries,
  prefix: string,
  o: {
    total: number;
    concurrency: number;
    cpu(): number;
    counters?(): Promise<Record<string, number>>;
    /** The system under test's event-loop delay since the last call, in ms (a node's own measure). */
    loopDelay?(): Promise<{ mean: number; p99: number }>;
    /** CPU seconds so far of the other processes the path uses (services, the bench itself). */
    others?(): Record<string, number>;
  },
): Promise<PhaseResult> {
  const warmFrom = arrivals.count;
  const warm = await closedLoop(target, WARMUP, 16, WARMUP_OFFSET);
  await arrivals.waitFor(warmFrom + warm.ok, 60_000);
  arrivals.sentAt.clear(); // only the measured burst's texts count for latency
  arrivals.maxUnanswered = 0;
  const before = arrivals.count;
  await new Promise((r) => setTimeout(r, 300)); // the warm-up's statistics settle
  const countersBefore = await o.counters?.();
  const cpuBefore = o.cpu();
  const othersBefore = o.others?.();
  const machineBefore = machineCpuSeconds();
  const started = performance.now();
  await o.loopDelay?.(); // starts the node's measure afresh
  const benchLoop = monitorEventLoopDelay({ resolution: 1 }); // reported less this 1 ms, as the node's
  benchLoop.enable();
  const burst: LoadResult = await closedLoop(target, o.total, o.concurrency);
  await arrivals.waitFor(before + burst.ok, 300_000);
  benchLoop.disable();
  const nodeLoop = await o.loopDelay?.();
  const cpu = o.cpu() - cpuBefore;
  const othersAfter = o.others?.();
  const machineCpu = machineCpuSeconds() - machineBefore;
  const lat = arrivals.latencies(`${prefix} `);
  await new Promise((r) => setTimeout(r, 1_000)); // PostgreSQL reports its statistics every 500 ms
  const countersAfter = await o.counters?.();
  const delta = (k: string) => countersAfter![k]! - countersBefore![k]!;
  const perMsg =
    countersBefore && countersAfter
      ? Object.fromEntries(
          Object.keys(countersAfter)
            .filter((k) => !k.startsWith('deliver_sm_'))
            .map((k) => [k, +(delta(k) / Math.max(1, burst.ok)).toFixed(2)]),
        )
      : undefined;
  const roundTripMs =
    countersAfter?.deliver_sm_count !== undefined
      ? +((1000 * delta('deliver_sm_seconds')) / Math.max(1, delta('deliver_sm_count'))).toFixed(2)
      : undefined;
  return {
    accepted: burst.ok,
    refused: burst.failed,
    accepted_per_sec: Math.round(burst.ok / burst.seconds),
    delivered_per_sec: Math.round(burst.ok / ((arrivals.last - started) / 1000)),
    accept_p50_ms: +percentile(burst.latenciesMs, 50).toFixed(2),
    accept_p99_ms: +percentile(burst.latenciesMs, 99).toFixed(2),
    to_arrival_p50_ms: +percentile(lat, 50).toFixed(2),
    to_arrival_p99_ms: +percentile(lat, 99).toFixed(2),
    cpu_ms_per_msg: +((cpu * 1000) / Math.max(1, burst.ok)).toFixed(3),
    machine_cpu_ms_per_msg: +((machineCpu * 1000) / Math.max(1, burst.ok)).toFixed(3),
    ...(othersBefore && othersAfter
      ? {
          other_cpu_ms_per_msg: Object.fromEntries(
            Object.keys(othersAfter).map((k) => [k, +(((othersAfter[k]! - othersBefore[k]!) * 1000) / Math.max(1, burst.ok)).toFixed(3)]),
          ),
        }
      : {}),
    max_unanswered: arrivals.maxUnanswered,
    deliver_sm_round_trip_ms: roundTripMs,
    event_loop_delay_ms: {
      ...(nodeLoop ? { node_mean: nodeLoop.mean, node_p99: nodeLoop.p99 } : {}),
      bench_mean: +(benchLoop.mean / 1e6 - 1).toFixed(2),
      bench_p99: +(benchLoop.percentile(99) / 1e6 - 1).toFixed(2),
    },
    per_msg: perMsg,
  };
}

/**
 * A PBX coming back to a backlog: `total` messages accepted while no bind is up (ingress alone),
 * then the binds come up and the queue drains (egress alone). Prints each side's rate and CPU.
 */
async function backlogPhase<S>(target: Target, arrivals: Deliveries, o: DeliverOptions, cpu: () => number, bind: () => Promise<S[]>) {
  const before = arrivals.count;
  const cpuBefore = cpu();
  const burst = await closedLoop(target, o.total, o.concurrency);
  const ingressCpu = cpu() - cpuBefore;
  await new Promise((r) => setTimeout(r, 1_000)); // the accepted legs reach the ledger
  const drainCpuBefore = cpu();
  const started = performance.now();
  const sessions = await bind();
  await arrivals.waitFor(before + burst.ok, 300_000);
  const drainSeconds = (arrivals.last - started) / 1000;
  return {
    sessions,
    accepted: burst.ok,
    refused: burst.failed,
    accepted_per_sec: Math.round(burst.ok / burst.seconds),
    ingress_cpu_ms_per_msg: +((ingressCpu * 1000) / Math.max(1, burst.ok)).toFixed(3),
    drained_per_sec: Math.round(burst.ok / drainSeconds),
    drain_cpu_ms_per_msg: +(((cpu() - drainCpuBefore) * 1000) / Math.max(1, burst.ok)).toFixed(3),
  };
}

/** Starts the services and the nodes, binds the ESMEs, runs the phases, stops everything. */
export async function runDeliver(o: DeliverOptions): Promise<Record<string, unknown>> {
  const [nats, redis, pg] = await Promise.all([startNats(), startRedis(), startPostgres()]);
  const fake = await FakeCarrier.start();
  const databaseUrl = await pg.createDatabase('bench_deliver');
  const nodes: Array<{ node: GatewayProcess; smppPort: number }> = [];
  const arrivals = new Deliveries();
  try {
    for (let n = 0; n < o.nodes; n++) {
      const smppPort = await freePort();
      const node = await startGatewayProcess(
        `benchdeliver${n}`,
        {
          DATABASE_URL: databaseUrl,
          NATS_URL: nats.url,
          REDIS_URL: redis.url,
          SMPP_LISTEN: `127.0.0.1:${smppPort}`,
          ENCRYPTION_KEY: 'bench-encryption-key-0123456789abcdef',
          API_KEY,
          SERVER_ADDRESS: 'http://127.0.0.1:9',
          LOG_LEVEL: 'warn',
          ...(o.window ? { SMPP_WINDOW: String(o.window) } : {}),
          ...benchGatewayEnv(),
        },
        benchNodeArgs(),
        BENCH_ENTRY,
      );
      nodes.push({ node, smppPort });
    }
    const first = nodes[0]!.node;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${first.url}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body) });
      const json = (await res.json()) as any;
      if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const row = fake.carrierRow('telnyx');
    const carrier = await post('/carriers', {
      name: 'telnyx-bench',
      type: 'telnyx',
      username: 'x',
      password: row.password,
      api_base_url: fake.url,
      public_key: row.publicKey,
      max_rps: 100_000,
    });
    const pbx = await post('/clients', { username: 'pbx', password: 'pbxpw', type: 'legacy', address: '127.0.0.1' });
    await post(`/clients/${pbx.id}/numbers`, { number: PBX_NUMBER, carrier: 'telnyx-bench' });
    const web = await post('/clients', { username: 'bench', password: 'bench-pass', type: 'web' });
    await post(`/clients/${web.id}/numbers`, { number: WEB_NUMBER, carrier: 'telnyx-bench' });
    await new Promise((r) => setTimeout(r, 2_000)); // carrier lease taken, config seen by every node

    const urls = (o.split ? nodes.slice(0, 1) : nodes).map(({ node }) => node.url);
    const bindNodes = o.split ? nodes.slice(1) : nodes;
    const restTo = (prefix: string): Target => ({
      url: urls.map((u) => `${u}/messages/send`),
      okStatus: 202,
      headers: { authorization: `Basic ${Buffer.from('bench:bench-pass').toString('base64')}` },
      body: (i) => {
        arrivals.sentAt.set(`${prefix} ${i}`, performance.now());
        return JSON.stringify({ from: WEB_NUMBER, to: PBX_NUMBER, text: `${prefix} ${i}` });
      },
    });
    const rest = restTo('bench-rest');
    // load.ts reads `headers` right after `body(i)` for each request (one synchronous object
    // literal), so the getter hands it the signature of the body just built.
    let signed: Record<string, string> = {};
    const webhook: Target = {
      url: urls.map((u) => `${u}/inbound/${carrier.uuid}`),
      okStatus: 200,
      get headers() {
        return signed;
      },
      body: (i) => {
        const body = JSON.stringify(
          telnyxEvent('message.received', {
            id: `tx-bench-${i}`,
            direction: 'inbound',
            text: `bench-hook ${i}`,
            from: { phone_number: '+15557770000' },
            to: [{ phone_number: PBX_NUMBER }],
            media: [],
          }),
        );
        signed = signTelnyx(body, fake.telnyxKeys.privateKey).headers;
        arrivals.sentAt.set(`bench-hook ${i}`, performance.now());
        return body;
      },
    };

    const cpu = () => nodes.reduce((sum, { node }) => sum + cpuSeconds(node.pid), 0);
    const bind = async () => {
      const bound = (
        await Promise.all(bindNodes.map(({ smppPort }) => bindSessions(smppPort, o.bindsPerNode, 'pbx', 'pbxpw', o.answerDelayMs)))
      ).flat();
      for (const s of bound) arrivals.watch(s, o.answerDelayMs);
      return bound;
    };
    const results: Record<string, unknown> = {};
    if (o.phases.includes('backlog')) results.backlog = await backlogPhase(restTo('bench-back'), arrivals, o, cpu, bind);
    const sessions = o.phases.includes('backlog')
      ? (results.backlog as { sessions: Awaited<ReturnType<typeof bind>> }).sessions
      : await bind();
    if (results.backlog) delete (results.backlog as { sessions?: unknown }).sessions;
    for (const phase of o.phases) {
      if (phase === 'backlog') continue;
      results[phase] = await measurePhase(phase === 'rest' ? rest : webhook, arrivals, phase === 'rest' ? 'bench-rest' : 'bench-hook', {
        total: o.total,
        concurrency: o.concurrency,
        cpu,
        counters: async () => ({
          ...(await serviceCounters(nats.monitorUrl, databaseUrl)),
          ...(await deliverRoundTrips(nodes.map(({ node }) => node.url))),
        }),
        loopDelay: () => nodeLoopDelay(nodes.map(({ node }) => node.url)),
        others: () => ({ ...serviceCpuSeconds(Number(new URL(pg.url).port)), bench: ownCpuSeconds() }),
      });
    }
    const rss = nodes.map(({ node }) => rssMb(node.pid));
    await closeSessions(sessions);
    return {
      messages_per_phase: o.total,
      concurrency: o.concurrency,
      smpp_window: o.window ?? DEFAULT_SMPP_WINDOW,
      answer_delay_ms: o.answerDelayMs,
      nodes: o.nodes,
      binds_per_node: o.bindsPerNode,
      split: o.split,
      ...results,
      node_rss_mb: Math.round(Math.max(...rss.map((r) => r.rss))),
      node_peak_rss_mb: Math.round(Math.max(...rss.map((r) => r.peak))),
      load_average_1m: +readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!,
    };
  } finally {
    await Promise.all(nodes.map(({ node }) => node.stop()));
    await fake.close();
    await Promise.all([nats.stop(), redis.stop(), pg.stop()]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  runDeliver(deliverOptionsFromEnv()).then(
    (report) => {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
